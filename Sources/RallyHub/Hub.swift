import NIOCore
import RallyProtocol
import Synchronization

/// The node's topic table: `shardsPerLoop × loops` shards, each owned by one event loop, chosen by topic hash.
/// Subscribing, presence and fanout for a topic all run on its shard's loop; sockets stay on their own loops.
public final class Hub: Sendable {
    public let loops: [EventLoop]
    let shards: [TopicShard]
    private let loopIndexByID: [ObjectIdentifier: Int]
    private let nextSubscriptionID = Atomic<UInt64>(1)

    public init(loops: [EventLoop], shardsPerLoop: Int = 8) {
        precondition(!loops.isEmpty, "a hub needs at least one event loop")
        self.loops = loops
        var indexByID: [ObjectIdentifier: Int] = [:]
        for (index, loop) in loops.enumerated() { indexByID[ObjectIdentifier(loop)] = index }
        self.loopIndexByID = indexByID
        let count = loops.count * max(1, shardsPerLoop)
        let metrics = FanoutMetrics()
        self.shards = (0..<count).map { index in
            TopicShard(eventLoop: loops[index % loops.count], loops: loops, ownLoopIndex: index % loops.count,
                       metrics: metrics)
        }
    }

    public convenience init(group: EventLoopGroup, shardsPerLoop: Int = 8) {
        self.init(loops: Array(group.makeIterator()), shardsPerLoop: shardsPerLoop)
    }

    /// The position of `loop` in `loops`; sockets on loops outside the hub's group are a programming error.
    func loopIndex(of loop: EventLoop) -> Int {
        guard let index = loopIndexByID[ObjectIdentifier(loop)] else {
            preconditionFailure("event loop \(loop) does not belong to this hub")
        }
        return index
    }

    func makeSubscriptionID() -> UInt64 {
        nextSubscriptionID.wrappingAdd(1, ordering: .relaxed).oldValue
    }

    private func shard(for topic: String) -> TopicShard {
        var hasher = Hasher()
        hasher.combine(topic)
        let hash = UInt(bitPattern: hasher.finalize())
        return shards[Int(hash % UInt(shards.count))]
    }

    /// Adds the subscription. The future (on the subscription's loop) succeeds once the subscription is in the table —
    /// every message published after that reaches it — carrying the topic's `presence_state` when asked for.
    /// The topic's retained values go to the subscription right after.
    func subscribe(_ subscription: ChannelSubscription, withPresenceState: Bool) -> EventLoopFuture<JSON?> {
        let promise = subscription.eventLoop.makePromise(of: JSON?.self)
        let shard = shard(for: subscription.topic)
        shard.run {
            let state = shard.subscribe(subscription)
            promise.succeed(withPresenceState ? state.presence.stateJSON(for: subscription) : nil)
            shard.deliverRetained(of: state, to: subscription)
        }
        return promise.futureResult
    }

    /// Removes the subscription and whatever presence it tracked (a leave diff goes to the others).
    func unsubscribe(_ subscription: ChannelSubscription) {
        let shard = shard(for: subscription.topic)
        shard.run { shard.unsubscribe(subscription) }
    }

    /// Fans a broadcast out to the topic's local subscribers; `sender` is skipped unless it joined with `self`.
    /// With `retain`, the message is also kept as the slot's latest value for later subscribers, and dropped
    /// when a newer version is already kept (so a late, older value never replaces a newer one). A topic with
    /// no local subscribers keeps nothing.
    public func publish(_ envelope: BroadcastEnvelope, senderID: UInt64 = 0, audience: Audience? = nil,
                        retain: RetainedSlot? = nil, dedupeKey: String? = nil) {
        let shard = shard(for: envelope.topic)
        shard.run {
            guard let state = shard.state(of: envelope.topic), state.count > 0 else { return }
            let versions = retain == nil ? state.versions : VersionCounts.all
            let message = FanoutMessage.broadcast(envelope, senderID: senderID, audience: audience,
                                                  dedupeKey: dedupeKey, versions: versions)
            if let retain, !state.retain(message, in: retain) { return }
            shard.dispatch(message, to: state)
        }
    }

    /// Gives a topic's slot its first value: kept and fanned out only when the slot holds nothing yet (every
    /// subscriber already holds the kept value otherwise: it got it on subscribing or when it was published).
    public func seed(_ envelope: BroadcastEnvelope, slot: RetainedSlot) {
        let shard = shard(for: envelope.topic)
        shard.run {
            guard let state = shard.state(of: envelope.topic), state.count > 0,
                  !state.hasRetained(slot.name) else { return }
            let message = FanoutMessage.broadcast(envelope, senderID: 0, audience: nil, versions: VersionCounts.all)
            _ = state.retain(message, in: slot)
            shard.dispatch(message, to: state)
        }
    }

    /// Tracks presence for a subscription; the diff (if anything changed) goes to every presence subscriber,
    /// the tracker included (as Phoenix.Presence does), except where `audience` (the tracker's) does not admit.
    func track(_ subscription: ChannelSubscription, key: String, meta: JSONObject, ref: String,
               audience: Audience? = nil) {
        let shard = shard(for: subscription.topic)
        shard.run {
            guard let state = shard.state(of: subscription.topic), subscription.shardSlot >= 0 else { return }
            if let diff = state.presence.track(owner: subscription.id, key: key, meta: meta, ref: ref,
                                               user: subscription.userID, audience: audience) {
                shard.fanOutPresence(diff, topic: subscription.topic, state: state)
            }
        }
    }

    func untrack(_ subscription: ChannelSubscription) {
        let shard = shard(for: subscription.topic)
        shard.run {
            guard let state = shard.state(of: subscription.topic),
                  let diff = state.presence.untrack(owner: subscription.id) else { return }
            shard.fanOutPresence(diff, topic: subscription.topic, state: state)
        }
    }

    /// The current `presence_state` of a topic as `viewer` may see it, delivered on `loop`.
    func presenceState(topic: String, for viewer: ChannelSubscription? = nil, on loop: EventLoop)
        -> EventLoopFuture<JSON> {
        let promise = loop.makePromise(of: JSON.self)
        let shard = shard(for: topic)
        shard.run { promise.succeed(shard.state(of: topic)?.presence.stateJSON(for: viewer) ?? .emptyObject) }
        return promise.futureResult
    }

    /// Number of local subscribers of a topic (tests, diagnostics).
    public func subscriberCount(topic: String) -> EventLoopFuture<Int> {
        let shard = shard(for: topic)
        let promise = shard.eventLoop.makePromise(of: Int.self)
        shard.run { promise.succeed(shard.state(of: topic)?.count ?? 0) }
        return promise.futureResult
    }
}
