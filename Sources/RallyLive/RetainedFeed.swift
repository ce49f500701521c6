import Foundation
import Logging
import RallyHub
import RallyPrivacy
import RallyProtocol

/// Where a retained topic's items come from: `event:` (capacity, event) and `plan:` (plan).
protocol RetainedSource: Sendable {
    /// The topic's items as live payloads (item name → payload); nil when the row is gone.
    func read(_ id: UUID) async throws -> [String: JSON]?
}

/// Latest-value topics: while a topic has channels on this node, its items are kept current (refreshed from
/// the store on every change, coalesced to a bounded rate) and retained in the hub, so every joiner gets the
/// current value at once and then every newer one. Versions come from one counter that never goes back, so an
/// older value can never replace a newer one in the hub.
actor RetainedFeed {
    struct Entry {
        var channels = 0
        var items: [String: JSON]?
        /// The last read found no row (as opposed to failing).
        var isMissing = false
        var published: [String: JSON] = [:]
        var loading: Task<Void, Never>?
    }

    /// The topic of an id (`Topic.event`, `Topic.plan`).
    let topic: @Sendable (UUID) -> Topic
    private let hub: Hub
    private let source: any RetainedSource
    private let logger: Logger
    private var schedule: CoalescingSchedule<UUID>
    private var entries: [UUID: Entry] = [:]
    private var version: UInt64 = 0
    private var isLive = true
    private let started = ContinuousClock.now

    init(topic: @escaping @Sendable (UUID) -> Topic, hub: Hub, source: any RetainedSource, maxUpdatesPerSecond: Double, logger: Logger) {
        self.topic = topic
        self.hub = hub
        self.source = source
        self.schedule = CoalescingSchedule(maxPerSecond: maxUpdatesPerSecond)
        self.logger = logger
    }

    /// What a join learns from `watch`.
    enum WatchOutcome: Sendable, Equatable {
        case ready
        /// No such row (the join is refused as not found).
        case missing
        /// The row could not be read (the join is refused; the client may retry).
        case unavailable
    }

    /// A channel of `id` opened (it is already in the hub): loads the items if needed and retains them in the
    /// hub.
    func watch(_ id: UUID) async -> WatchOutcome {
        entries[id, default: Entry()].channels += 1
        if entries[id]?.items == nil { await load(id) }
        guard let entry = entries[id] else { return .unavailable }
        guard let items = entry.items else { return entry.isMissing ? .missing : .unavailable }
        let current = items.merging(entry.published) { _, published in published }
        seed(current, id: id)
        return .ready
    }

    func unwatch(_ id: UUID) {
        guard var entry = entries[id] else { return }
        entry.channels -= 1
        if entry.channels > 0 {
            entries[id] = entry
        } else {
            entries[id] = nil
            schedule.forget(id)
        }
    }

    /// The rows behind `id` changed: refresh, at most at the configured rate.
    func changed(_ id: UUID) {
        guard entries[id] != nil else { return }
        act(schedule.changed(id, now: now()), id: id)
    }

    /// Rally lost the change feed: every retained value is re-sent with `live: false`.
    func markStale() {
        isLive = false
        for (id, entry) in entries {
            publish(entry.published.mapValues(Self.stale), id: id)
        }
    }

    /// The change feed is back: everything is read again and re-sent (live).
    func resync() {
        isLive = true
        for id in entries.keys { act(schedule.changed(id, now: now()), id: id) }
    }

    // MARK: Loading and publishing

    private func load(_ id: UUID) async {
        if let loading = entries[id]?.loading {
            await loading.value
            return
        }
        let task = Task { await self.read(id) }
        entries[id]?.loading = task
        await task.value
        entries[id]?.loading = nil
    }

    private func read(_ id: UUID) async {
        entries[id]?.isMissing = false
        do {
            let items = try await source.read(id)
            entries[id]?.items = items
            entries[id]?.isMissing = items == nil
        } catch {
            logger.warning("live state not read", metadata: ["topic": "\(topic(id).subtopic)",
                                                              "error": "\(String(reflecting: error))"])
        }
    }

    private func refresh(_ id: UUID) async {
        await read(id)
        if let items = entries[id]?.items {
            publish(isLive ? items : items.mapValues(Self.stale), id: id)
        }
        act(schedule.finished(id, now: now()), id: id)
    }

    private func act(_ action: CoalescingSchedule<UUID>.Action, id: UUID) {
        switch action {
        case .refreshNow:
            Task { await self.refresh(id) }
        case .refreshAt(let time):
            let delay = max(0, time - now())
            Task {
                try? await Task.sleep(for: .seconds(delay))
                await self.timerFired(id)
            }
        case .none:
            break
        }
    }

    private func timerFired(_ id: UUID) {
        act(schedule.timerFired(id, now: now()), id: id)
    }

    /// Gives the hub the current items where it holds none (a first joiner, or a topic table entry made anew).
    private func seed(_ items: [String: JSON], id: UUID) {
        let topic = self.topic(id).hubName
        for (name, payload) in items.sorted(by: { $0.key < $1.key }) {
            if entries[id]?.published[name] == nil {
                entries[id]?.published[name] = payload
                version += 1
            }
            hub.seed(BroadcastEnvelope(topic: topic, event: name, payload: .json(payload), preferBinary: false),
                     slot: RetainedSlot(name: name, version: version))
        }
    }

    /// Retains and fans out every item that differs from what was last published.
    private func publish(_ items: [String: JSON], id: UUID) {
        let topic = self.topic(id).hubName
        for (name, payload) in items.sorted(by: { $0.key < $1.key }) {
            guard entries[id]?.published[name] != payload else { continue }
            entries[id]?.published[name] = payload
            version += 1
            hub.publish(BroadcastEnvelope(topic: topic, event: name, payload: .json(payload), preferBinary: false),
                        retain: RetainedSlot(name: name, version: version))
        }
    }

    private func now() -> Double {
        let elapsed = ContinuousClock.now - started
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// The same payload marked `live: false`.
    static func stale(_ payload: JSON) -> JSON {
        guard case .object(var fields) = payload else { return payload }
        fields["live"] = .bool(false)
        return .object(fields)
    }
}
