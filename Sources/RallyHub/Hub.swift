import Logging
import NIOCore
import RallyBus
import RallyProtocol
import Synchronization

/// The node's topic table: `shardsPerLoop × loops` shards, each owned by one event loop, chosen by topic hash.
/// Subscribing, presence and fanout for a topic all run on its shard's loop; sockets stay on their own loops.
public final class Hub: Sendable {
    public let loops: [EventLoop]
    let shards: [TopicShard]
    private let loopIndexByID: [ObjectIdentifier: Int]
    private let nextSubscriptionID = Atomic<UInt64>(1)
    /// The bus to the other nodes; nil for a node alone.
    let cluster: ClusterLink?

    /// - Parameters:
    ///   - broker: the bus to other nodes (README "Running several nodes"); nil for a node alone.
    public init(loops: [EventLoop], shardsPerLoop: Int = 8, broker: (any Broker)? = nil,
                cluster settings: ClusterSettings = ClusterSettings(), logger: Logger = Logger(label: "rally.bus")) {
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
        self.cluster = broker.map { ClusterLink(broker: $0, loop: loops[0], settings: settings, logger: logger) }
        if let cluster {
            let shards = self.shards
            cluster.shards = shards
            cluster.shardForTopic = { topic in Hub.shard(for: topic, in: shards) }
            for shard in shards { shard.cluster = cluster }
        }
    }

    public convenience init(group: EventLoopGroup, shardsPerLoop: Int = 8, broker: (any Broker)? = nil,
                            cluster settings: ClusterSettings = ClusterSettings()) {
        self.init(loops: Array(group.makeIterator()), shardsPerLoop: shardsPerLoop, broker: broker,
                  cluster: settings)
    }

    /// This node's id on the bus; 0 for a node alone.
    public var nodeID: UInt64 { cluster?.nodeID ?? 0 }

    /// How long the bus has been unreachable (since the start when it never was); nil while up or alone.
    public var busDownFor: TimeAmount? { cluster?.downFor }

    /// Joins the bus: subscribes the node's channels, announces it and starts its heartbeat. Nothing to do alone.
    public func startBus() -> EventLoopFuture<Void> {
        cluster?.start() ?? loops[0].makeSucceededVoidFuture()
    }

    /// The other nodes this node currently hears on the bus (empty for a node alone).
    public func liveNodes() -> EventLoopFuture<Set<UInt64>> {
        guard let cluster else { return loops[0].makeSucceededFuture([]) }
        return cluster.loop.submit { cluster.membership.alive }
    }

    /// Leaves the bus: the other nodes drop this node's presence at once.
    public func stopBus() -> EventLoopFuture<Void> {
        cluster?.shutdown() ?? loops[0].makeSucceededVoidFuture()
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

    private func shard(for topic: String) -> TopicShard { Self.shard(for: topic, in: shards) }

    private static func shard(for topic: String, in shards: [TopicShard]) -> TopicShard {
        var hasher = Hasher()
        hasher.combine(topic)
        let hash = UInt(bitPattern: hasher.finalize())
        return shards[Int(hash % UInt(shards.count))]
    }

    /// Adds the subscription. The future (on the subscription's loop) succeeds once the subscription is in the table
    /// and, on a node of several, the bus confirmed the topic and the other nodes' presence is merged — every message
    /// published after that reaches it — carrying the topic's `presence_state` when asked for. It fails with
    /// `BusError.unavailable` when the bus cannot confirm (the subscription must then be removed). The topic's
    /// retained values go to the subscription right after.
    func subscribe(_ subscription: ChannelSubscription, withPresenceState: Bool) -> EventLoopFuture<JSON?> {
        let promise = subscription.eventLoop.makePromise(of: JSON?.self)
        let shard = shard(for: subscription.topic)
        shard.run {
            let state = shard.subscribe(subscription)
            guard let ready = state.busReady else {
                promise.succeed(withPresenceState ? state.presence.stateJSON(for: subscription) : nil)
                shard.deliverRetained(of: state, to: subscription)
                return
            }
            ready.hop(to: shard.eventLoop).whenComplete { result in
                switch result {
                case .success:
                    promise.succeed(withPresenceState ? state.presence.stateJSON(for: subscription) : nil)
                    shard.deliverRetained(of: state, to: subscription)
                case .failure(let error):
                    promise.fail(error)
                }
            }
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

    /// Fans a server push (`event` with `payload`, as Supabase sends `postgres_changes`) out to the topic's local
    /// subscribers that `audience` admits; node-local, like `publish`.
    public func publishPush(topic: String, event: String, payload: JSON, audience: Audience) {
        let shard = shard(for: topic)
        shard.run {
            guard let state = shard.state(of: topic), state.count > 0 else { return }
            shard.dispatch(FanoutMessage.push(kind: .broadcast, topic: topic, event: event, payload: payload,
                                              versions: state.versions, audience: audience), to: state)
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

    /// Fans a broadcast out to every subscriber of the topic on every node: this node's first, then one message
    /// on the bus (published whether or not this node has subscribers). `sender` is skipped unless it joined
    /// with `self`; `audience` decides per subscriber here, and each other node decides for its own subscribers
    /// from `senderUser` (`TopicFeeds.audience(ofRemoteSender:topic:)`). Node-local data (what every node gets
    /// from Postgres itself) goes through `publish` instead.
    public func broadcast(_ envelope: BroadcastEnvelope, senderID: UInt64 = 0, senderUser: String? = nil,
                          audience: Audience? = nil) {
        let shard = shard(for: envelope.topic)
        // Inline on the shard's loop without a task (nor the closure's context); otherwise one task there.
        guard shard.eventLoop.inEventLoop else {
            return shard.eventLoop.execute {
                shard.broadcast(envelope, senderID: senderID, senderUser: senderUser, audience: audience)
            }
        }
        shard.broadcast(envelope, senderID: senderID, senderUser: senderUser, audience: audience)
    }

    /// Tracks presence for a subscription; the diff (if anything changed) goes to every presence subscriber on
    /// every node, the tracker included (as Phoenix.Presence does), except where `audience` (the tracker's) does
    /// not admit.
    func track(_ subscription: ChannelSubscription, key: String, meta: JSONObject, ref: String,
               audience: Audience? = nil) {
        let shard = shard(for: subscription.topic)
        shard.run {
            guard let state = shard.state(of: subscription.topic), subscription.shardSlot >= 0 else { return }
            shard.track(subscription, key: key, meta: meta, ref: ref, audience: audience, state: state)
        }
    }

    func untrack(_ subscription: ChannelSubscription) {
        let shard = shard(for: subscription.topic)
        shard.run {
            guard let state = shard.state(of: subscription.topic) else { return }
            shard.untrack(subscription, state: state)
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
