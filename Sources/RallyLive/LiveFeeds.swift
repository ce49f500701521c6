import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import RallyAuth
import RallyDirectory
import RallyHub
import RallyPrivacy
import RallyProtocol

/// The node's live inputs (docs/live-data.md): capacity and event changes on `event:`, plan status on `plan:`,
/// durable chat on `group:`, notifications on `user:`, friend activity on `feed:` and `profile:`. The hub asks it
/// on every join, leave and client broadcast; the change feed hands it every `DirectoryChange`, in order.
/// Only topics with channels on this node are looked at, so every node of a cluster delivers to its own.
public final class LiveFeeds: TopicFeeds {
    let hub: Hub
    let store: any LiveStore
    let settings: LiveSettings
    let logger: Logger
    let events: RetainedFeed
    let plans: RetainedFeed
    let chat: ChatFeed
    let notifications: NotificationFeed
    let activity: ActivityFeed
    let relationships: RelationshipCache
    let blocks: BlockIndex
    let locations: LocationFeed
    let rowChanges: PostgresChangesFeed
    /// Joins still opening their inputs, by subscription id: a leave waits for its join.
    let openingJoins = NIOLockedValueBox<[UInt64: Task<FeedJoinOutcome, Never>]>([:])
    /// Change feeds (by index) that are not listening; joins of live topics wait for all of them.
    private let feedsDown: NIOLockedValueBox<Set<Int>>

    /// `changeFeeds`: how many LISTEN connections feed it (0 for the in-memory directory's stream, which is
    /// always live); until each has reported `listening`, joins of live topics are refused. `postgres_changes`
    /// are served only from LISTEN connections, by a store that can read rows back (`RowReader`).
    public init(hub: Hub, directory: any Directory, store: any LiveStore, settings: LiveSettings = LiveSettings(),
                changeFeeds: Int = 0, logger: Logger = Logger(label: "rally.live")) {
        self.hub = hub
        self.feedsDown = NIOLockedValueBox(Set(0..<changeFeeds))
        self.store = store
        self.settings = settings
        self.logger = logger
        relationships = RelationshipCache(store: store, capacity: settings.relationshipCacheSize)
        blocks = BlockIndex(relationships: relationships)
        locations = LocationFeed(hub: hub, blocks: blocks, settings: settings.location)
        events = RetainedFeed(topic: Topic.event, hub: hub, source: EventSource(store: store),
                              maxUpdatesPerSecond: settings.retainedUpdatesPerSecond, logger: logger)
        plans = RetainedFeed(topic: Topic.plan, hub: hub, source: PlanSource(store: store),
                             maxUpdatesPerSecond: settings.retainedUpdatesPerSecond, logger: logger)
        chat = ChatFeed(hub: hub, store: store, relationships: relationships, settings: settings, logger: logger)
        notifications = NotificationFeed(hub: hub, store: store, settings: settings, logger: logger)
        activity = ActivityFeed(hub: hub, directory: directory, store: store, relationships: relationships,
                                logger: logger)
        rowChanges = PostgresChangesFeed(hub: hub, directory: directory, store: store, relationships: relationships,
                                         reader: changeFeeds > 0 ? store as? any RowReader : nil, logger: logger)
    }

    /// Whether every change feed is listening (`/readyz`).
    public var isConnected: Bool { feedsDown.withLockedValue { $0.isEmpty } }

    // MARK: TopicFeeds

    public func join(_ join: FeedJoin, on loop: EventLoop) -> EventLoopFuture<FeedJoinOutcome> {
        let topic = Self.liveTopic(of: join)
        guard topic != nil || !join.config.postgresChanges.isEmpty else {
            return loop.makeSucceededFuture(.ready(.empty))
        }
        let task = Task { await self.open(topic ?? .freeForm(join.subtopic), join) }
        openingJoins.withLockedValue { $0[join.subscriptionID] = task }
        return loop.futureFromTask {
            let outcome = await task.value
            self.openingJoins.withLockedValue { $0[join.subscriptionID] = nil }
            return outcome
        }
    }

    public func leave(_ join: FeedJoin) {
        let topic = Self.liveTopic(of: join)
        guard topic != nil || !join.config.postgresChanges.isEmpty else { return }
        if let kind = topic?.kind, kind == .locationPlan || kind == .locationFriends { locations.channelClosed(join) }
        let opening = openingJoins.withLockedValue { $0[join.subscriptionID] }
        Task {
            _ = await opening?.value
            self.rowChanges.unsubscribe(join.subscriptionID)
            guard let topic else { return }
            await self.close(topic)
            self.releasePeer(of: join)
        }
    }

    /// The topic of a join when it is one with live inputs (not a free-form room).
    static func liveTopic(of join: FeedJoin) -> Topic? { join.identifiedTopic }

    /// Acts on the channel's write policy (decided at join, `WritePolicy`): no look at the topic per message.
    public func write(_ write: FeedWrite) -> WriteDisposition {
        let policy = write.join.writePolicy
        guard let kind = policy.reservedKind else { return .publish }
        if case .chat(let group) = policy, let chat = chatWrite(write, group: group) { return chat }
        if write.join.identity.role != .serviceRole, LiveEvents.isReserved(write.event, on: kind) {
            return .refuse(LiveEvents.refusal(write.event))
        }
        if case .location = policy { return locations.write(write) }
        return .publish
    }

    /// A free-form room's broadcasts: `write` publishes them as sent (no reserved names) and no blocks apply to
    /// their sender (`peer(of:)`), so the hub need not ask per message.
    public func broadcastsAreOrdinary(_ join: FeedJoin) -> Bool {
        join.writePolicy == .freeForm && peer(of: join) == nil
    }

    // MARK: Opening and closing inputs

    private func open(_ topic: Topic, _ join: FeedJoin) async -> FeedJoinOutcome {
        let peerKnown = await retainPeer(of: join)
        guard isConnected, peerKnown else { return .refused(Self.unavailable) }
        if let refused = await rowChanges.subscribe(join) { return refused }
        do {
            switch topic {
            case .event(let id):
                return Self.outcome(await events.watch(id), kind: "event")
            case .plan(let id):
                return Self.outcome(await plans.watch(id), kind: "plan")
            case .group(let id):
                try await chat.watch(id)
                guard join.config.wantsReplay else { return .ready(.empty) }
                return try await replay(group: id, join: join)
            case .user(let id):
                return .ready(try await notifications.watch(id, topic: join.topic))
            case .feed(let id):
                try await activity.openFeed(id)
                return .ready(.empty)
            case .profile(let id):
                await activity.openProfile(id)
                return .ready(.empty)
            case .locationPlan, .locationFriends, .freeForm:
                return .ready(.empty)
            }
        } catch {
            logger.warning("join inputs unavailable", metadata: ["topic": "\(join.subtopic)", "error": "\(error)"])
            return .refused(Self.unavailable)
        }
    }

    private func replay(group: UUID, join: FeedJoin) async throws -> FeedJoinOutcome {
        do {
            let viewer = join.identity.subject.flatMap(UUIDText.parse)
            return .ready(try await chat.replay(group: group, config: join.config, topic: join.topic, viewer: viewer))
        } catch is ReplayParametersInvalid {
            return .refused("UnableToReplayMessages: Replay params are not valid")
        } catch {
            return .refused("UnableToReplayMessages: Realtime was unable to replay messages")
        }
    }

    private func close(_ topic: Topic) async {
        switch topic {
        case .event(let id): await events.unwatch(id)
        case .plan(let id): await plans.unwatch(id)
        case .group(let id): await chat.unwatch(id)
        case .user(let id): await notifications.unwatch(id)
        case .feed(let id): await activity.closeFeed(id)
        case .profile(let id): await activity.closeProfile(id)
        case .locationPlan, .locationFriends, .freeForm: break
        }
    }

    static let unavailable = "DatabaseUnavailable: Realtime was unable to read the current state, please retry"

    /// A retained topic's join: ready, or refused saying whether the row is missing or could not be read (only
    /// `service_role` passes the join rules for an id that does not exist).
    static func outcome(_ watched: RetainedFeed.WatchOutcome, kind: String) -> FeedJoinOutcome {
        switch watched {
        case .ready: return .ready(.empty)
        case .missing: return .refused("NotFound: no such \(kind)")
        case .unavailable: return .refused(unavailable)
        }
    }

    // MARK: Change feed state

    /// Change feed `index` registered its LISTEN (from now on it misses nothing).
    public func feedListening(_ index: Int) {
        feedsDown.withLockedValue { _ = $0.remove(index) }
    }

    /// Change feed `index` lost its connection: retained values go out marked `live: false` until it is back
    /// and everything was read again (`.resync`).
    public func feedLost(_ index: Int) async {
        feedsDown.withLockedValue { _ = $0.insert(index) }
        await events.markStale()
        await plans.markStale()
    }
}
