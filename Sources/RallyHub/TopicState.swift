import NIOCore
import RallyProtocol

/// Everything one shard knows about one topic. Confined to the shard's loop.
final class TopicState {
    /// Subscribers grouped by the index of their socket's event loop, so a fanout hops once per loop.
    private(set) var byLoop: [[ChannelSubscription]]
    private(set) var versions = VersionCounts()
    private(set) var count = 0
    var presence = PresenceTable()
    /// The latest value of each retained item (`RetainedSlot.name` → version and message), for new subscribers.
    private(set) var retained: [String: (version: UInt64, message: FanoutMessage)] = [:]

    // MARK: the bus (a node of several)
    /// Succeeds once the bus confirmed the topic's subscription and the other nodes' presence is merged; nil
    /// without a bus. Every join of the topic waits for it.
    var busReady: EventLoopFuture<Void>?
    /// What each origin node last published here (duplicates, gaps).
    var ledger = BusLedger()
    /// The sequence number of this node's last message on the topic (the next one's `previous`).
    var lastSentSequence: UInt64 = 0
    /// While the other nodes' presence is being fetched: the diffs that arrived meanwhile, re-applied on top of each
    /// node's snapshot. Nil when no fetch is under way.
    var presenceSync: [PresenceSyncDiff]?

    init(loopCount: Int) {
        byLoop = Array(repeating: [], count: loopCount)
    }

    /// Has no local subscriber: the topic leaves the shard (what other nodes tracked here is only a mirror,
    /// dropped with it; local presence always belongs to a local subscription).
    var hasNoLocalSubscribers: Bool { count == 0 }

    func add(_ subscription: ChannelSubscription) {
        subscription.shardSlot = byLoop[subscription.loopIndex].count
        byLoop[subscription.loopIndex].append(subscription)
        versions.add(subscription.version, 1)
        count += 1
    }

    func hasRetained(_ name: String) -> Bool { retained[name] != nil }

    /// Keeps `message` as the latest value of `slot` unless a newer or equal version is kept; true when kept.
    func retain(_ message: FanoutMessage, in slot: RetainedSlot) -> Bool {
        if let kept = retained[slot.name], kept.version >= slot.version { return false }
        retained[slot.name] = (slot.version, message)
        return true
    }

    /// O(1) swap-remove through the subscription's slot. Returns false when it was not here.
    @discardableResult
    func remove(_ subscription: ChannelSubscription) -> Bool {
        let loop = subscription.loopIndex
        let slot = subscription.shardSlot
        guard slot >= 0, slot < byLoop[loop].count, byLoop[loop][slot] === subscription else { return false }
        let last = byLoop[loop].removeLast()
        if last !== subscription {
            byLoop[loop][slot] = last
            last.shardSlot = slot
        }
        subscription.shardSlot = -1
        versions.add(subscription.version, -1)
        count -= 1
        return true
    }
}
