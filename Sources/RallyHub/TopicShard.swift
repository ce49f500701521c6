import NIOCore
import RallyProtocol

/// One slice of the topic table, owned by one event loop: every read and write of `topics` happens on
/// `eventLoop`, so no lock is needed and no two shards contend.
final class TopicShard: @unchecked Sendable {
    let eventLoop: EventLoop
    private let loops: [EventLoop]
    private let ownLoopIndex: Int
    private let metrics: FanoutMetrics
    private var topics: [String: TopicState] = [:]

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

    var topicCount: Int { eventLoop.assertInEventLoop(); return topics.count }

    func subscribe(_ subscription: ChannelSubscription) -> TopicState {
        eventLoop.assertInEventLoop()
        let state = topics[subscription.topic] ?? TopicState(loopCount: loops.count)
        topics[subscription.topic] = state
        state.add(subscription)
        return state
    }

    func unsubscribe(_ subscription: ChannelSubscription) {
        eventLoop.assertInEventLoop()
        guard let state = topics[subscription.topic] else { return }
        state.remove(subscription)
        if let diff = state.presence.untrack(owner: subscription.id) {
            fanOutPresence(diff, topic: subscription.topic, state: state)
        }
        if state.isEmpty { topics[subscription.topic] = nil }
    }

    func state(of topic: String) -> TopicState? {
        eventLoop.assertInEventLoop()
        return topics[topic]
    }

    /// Every topic of the shard with presence entries.
    func forEachPresence(_ body: (String, TopicState) -> Void) {
        eventLoop.assertInEventLoop()
        for (topic, state) in topics where !state.presence.isEmpty { body(topic, state) }
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
