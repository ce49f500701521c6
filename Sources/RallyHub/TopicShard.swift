import NIOCore
import RallyBus
import RallyProtocol

/// One slice of the topic table, owned by one event loop: every read and write of `topics` happens on
/// `eventLoop`, so no lock is needed and no two shards contend.
final class TopicShard: @unchecked Sendable {
    let eventLoop: EventLoop
    private let loops: [EventLoop]
    private let ownLoopIndex: Int
    private let metrics: FanoutMetrics
    /// The topics with local subscribers. On `eventLoop` only.
    var topicsByName: [String: TopicState] = [:]
    /// The bus, when the node is one of several; set once by the hub before any use.
    var cluster: ClusterLink?

    init(eventLoop: EventLoop, loops: [EventLoop], ownLoopIndex: Int, metrics: FanoutMetrics) {
        self.eventLoop = eventLoop
        self.loops = loops
        self.ownLoopIndex = ownLoopIndex
        self.metrics = metrics
    }

    /// Runs `body` on the shard's loop: inline when already there.
    func run(_ body: @escaping @Sendable () -> Void) {
        if eventLoop.inEventLoop { body() } else { eventLoop.execute(body) }
    }

    // MARK: on eventLoop only

    var topicCount: Int { eventLoop.assertInEventLoop(); return topicsByName.count }

    func subscribe(_ subscription: ChannelSubscription) -> TopicState {
        eventLoop.assertInEventLoop()
        if let state = topicsByName[subscription.topic] {
            state.add(subscription)
            return state
        }
        let state = TopicState(loopCount: loops.count)
        topicsByName[subscription.topic] = state
        state.add(subscription)
        if let cluster { state.busReady = joinBus(subscription.topic, state: state, link: cluster) }
        return state
    }

    func unsubscribe(_ subscription: ChannelSubscription) {
        eventLoop.assertInEventLoop()
        guard let state = topicsByName[subscription.topic] else { return }
        state.remove(subscription)
        untrack(subscription, state: state)
        if state.hasNoLocalSubscribers {
            topicsByName[subscription.topic] = nil
            cluster?.broker.unsubscribe(.topic(subscription.topic))
        }
    }

    func state(of topic: String) -> TopicState? {
        eventLoop.assertInEventLoop()
        return topicsByName[topic]
    }

    /// Tracks presence for a subscription: the diff goes to every local presence subscriber (the tracker
    /// included, as Phoenix.Presence does) and, as a change, to the other nodes.
    func track(_ subscription: ChannelSubscription, key: String, meta: JSONObject, ref: String, audience: Audience?,
               state: TopicState) {
        guard let diff = state.presence.track(owner: PresenceOwner(id: subscription.id), key: key, meta: meta,
                                              ref: ref, user: subscription.userID, audience: audience) else { return }
        fanOutPresence(diff, topic: subscription.topic, state: state)
        guard let cluster, let wire = diff.joins[key]?.last else { return }
        let change = PresenceChange(joins: [.init(owner: subscription.id, key: key, ref: ref, wire: wire,
                                                  user: subscription.userID)])
        _ = cluster.publish(BusMessage(kind: .presenceDiff, topic: subscription.topic, payload: .json(change.json)),
                            state: state)
    }

    func untrack(_ subscription: ChannelSubscription, state: TopicState) {
        guard let diff = state.presence.untrack(owner: PresenceOwner(id: subscription.id)) else { return }
        fanOutPresence(diff, topic: subscription.topic, state: state)
        guard let cluster else { return }
        let change = PresenceChange(leaves: [subscription.id])
        _ = cluster.publish(BusMessage(kind: .presenceDiff, topic: subscription.topic, payload: .json(change.json)),
                            state: state)
    }

    /// Every topic of the shard with presence entries.
    func forEachPresence(_ body: (String, TopicState) -> Void) {
        eventLoop.assertInEventLoop()
        for (topic, state) in topicsByName where !state.presence.isEmpty { body(topic, state) }
    }

    func fanOutPresence(_ diff: PresenceDiff, topic: String, state: TopicState) {
        let message = FanoutMessage.push(kind: .presence, topic: topic, event: "presence_diff",
                                         payload: diff.json(), versions: state.versions, audience: diff.audience)
        dispatch(message, to: state)
    }

    /// Sends the topic's retained values to one new subscriber (on its loop).
    func deliverRetained(of state: TopicState, to subscription: ChannelSubscription) {
        let messages = state.retained.sorted { $0.key < $1.key }.map(\.value.message)
        guard !messages.isEmpty else { return }
        subscription.eventLoop.execute {
            for message in messages { subscription.deliver(message) }
        }
    }

    /// `Hub.broadcast` on the shard's loop: to the topic's local subscribers, then to the other nodes.
    func broadcast(_ envelope: BroadcastEnvelope, senderID: UInt64, senderUser: String?, audience: Audience?) {
        eventLoop.assertInEventLoop()
        let state = topicsByName[envelope.topic]
        if let state, state.count > 0 {
            dispatch(FanoutMessage.broadcast(envelope, senderID: senderID, audience: audience,
                                             versions: state.versions), to: state)
        }
        _ = cluster?.publish(.broadcast(envelope, senderUser: senderUser), state: state)
    }

    /// Hands `message` to every subscriber: directly for those on this loop, one task per other loop.
    /// Never waits on a write: delivery only enqueues into each socket's bounded outbound queue.
    func dispatch(_ message: FanoutMessage, to state: TopicState) {
        let metrics = self.metrics
        for (loopIndex, subscribers) in state.byLoop.enumerated() where !subscribers.isEmpty {
            if loopIndex == ownLoopIndex {
                Self.deliver(message, to: subscribers, metrics: metrics)
            } else {
                loops[loopIndex].execute { Self.deliver(message, to: subscribers, metrics: metrics) }
            }
        }
    }

    /// On the subscribers' loop: every subscriber gets the message, then the loop's fanout is recorded once.
    private static func deliver(_ message: FanoutMessage, to subscribers: [ChannelSubscription],
                                metrics: FanoutMetrics) {
        var delivered = 0
        for subscriber in subscribers where subscriber.deliver(message) { delivered += 1 }
        metrics.record(delivered: delivered, since: message.createdAt)
    }
}
