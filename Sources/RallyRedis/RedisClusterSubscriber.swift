import Logging
import NIOCore

/// Sharded pub/sub over a Redis Cluster: one `RedisSubscriber` (SSUBSCRIBE mode) per primary, each channel
/// subscribed on the primary of its slot.
///
/// - `subscribe` completes when every channel is confirmed on its owner. A `-MOVED` refusal refreshes the
///   topology (through the `RedisCluster`) and retries once.
/// - When a slot moves, its primary pushes `sunsubscribe`: the channel is reported as
///   `.unsolicitedUnsubscribe(channel)` (messages may have been lost) and re-subscribed on its new owner after a
///   topology refresh; it stays in the desired set.
/// - `.connectionLost` and `.resubscribed` are reported per node connection (`onNodeEvent` names the node).
/// - A primary that crashed is not replaced by itself: `followTopology()` (called while a connection stays lost)
///   moves the channels of a node that is no longer a primary to the owners of their slots.
///
/// Thread safety: confined to the cluster's event loop; node subscribers run on it too.
public final class RedisClusterSubscriber: @unchecked Sendable {
    public let eventLoop: any EventLoop
    private let cluster: RedisCluster
    private let options: RedisSubscriberOptions
    private let logger: Logger
    private let onEvent: @Sendable (_ node: String, RedisSubscriberEvent) -> Void
    private var desired = Set<String>()
    private var subscribers: [String: RedisSubscriber] = [:]  // by node address
    private var homeless: [String: Set<String>] = [:]  // channels of evicted nodes, by node address

    /// `cluster` must have been started; `options.sharded` is forced on.
    public convenience init(cluster: RedisCluster, options: RedisSubscriberOptions = RedisSubscriberOptions(),
                            logger: Logger = Logger(label: "rally.redis.cluster.subscriber"),
                            onEvent: @escaping @Sendable (RedisSubscriberEvent) -> Void) {
        self.init(cluster: cluster, options: options, logger: logger, onNodeEvent: { _, event in onEvent(event) })
    }

    /// As `init(cluster:options:logger:onEvent:)`, each event with the address of the node connection it is from.
    public init(cluster: RedisCluster, options: RedisSubscriberOptions = RedisSubscriberOptions(),
                logger: Logger = Logger(label: "rally.redis.cluster.subscriber"),
                onNodeEvent: @escaping @Sendable (_ node: String, RedisSubscriberEvent) -> Void) {
        self.cluster = cluster
        self.eventLoop = cluster.eventLoop
        var options = options
        options.sharded = true
        self.options = options
        self.logger = logger
        self.onEvent = onNodeEvent
    }

    public func subscribe(_ channels: [String]) -> EventLoopFuture<Void> {
        onLoop { subscriber in
            subscriber.desired.formUnion(channels)
            return subscriber.place(channels, retries: 1)
        }
    }

    public func unsubscribe(_ channels: [String]) -> EventLoopFuture<Void> {
        onLoop { subscriber in
            subscriber.desired.subtract(channels)
            let all = subscriber.subscribers.values.map { $0.unsubscribe(channels) }
            return EventLoopFuture.andAllSucceed(all, on: subscriber.eventLoop)
        }
    }

    /// Closes every node's connection (they look open but deliver nothing): each is re-established and its
    /// channels subscribed again, announced per node by `.resubscribed`.
    public func reconnect() {
        _ = onLoop { subscriber in
            for node in subscriber.subscribers.values { node.reconnect() }
            return subscriber.eventLoop.makeSucceededVoidFuture()
        }
    }

    public func shutdown() -> EventLoopFuture<Void> {
        onLoop { subscriber in
            let all = subscriber.subscribers.values.map { $0.shutdown() }
            subscriber.subscribers.removeAll()
            return EventLoopFuture.andAllComplete(all, on: subscriber.eventLoop)
        }
    }

    /// Re-reads the topology; the channels of a node that is no longer a primary (its replica took over under
    /// another address) are subscribed on their new owners and its connection is closed; once they are
    /// confirmed, `.resubscribed` is reported for that node (its `.connectionLost` is over). A node whose slots
    /// have no owner yet (a failover under way) is left alone; call again later.
    public func followTopology() -> EventLoopFuture<Void> {
        onLoop { subscriber in
            subscriber.cluster.refreshTopology().flatMap { topology in
                let primaries = Set(topology.primaries.map(\.address))
                let gone = subscriber.subscribers.filter { !primaries.contains($0.key) }
                let moves = gone.map { address, old in subscriber.evict(old, from: address, in: topology) }
                return EventLoopFuture.andAllSucceed(moves, on: subscriber.eventLoop)
            }.flatMap { subscriber.placeHomeless() }
        }
    }

    /// Closes the connection to a former primary once every one of its channels has a new owner.
    private func evict(_ old: RedisSubscriber, from address: String, in topology: RedisClusterTopology)
        -> EventLoopFuture<Void> {
        old.desiredChannels().flatMap { channels in
            guard channels.allSatisfy({ topology.primary(forKey: $0) != nil }) else {
                return self.eventLoop.makeSucceededVoidFuture()
            }
            self.logger.notice("redis cluster: \(address) is no longer a primary; moving its channels")
            self.subscribers[address] = nil
            self.homeless[address, default: []].formUnion(channels)
            return old.shutdown().recover { _ in }
        }
    }

    /// Subscribes the channels of evicted nodes on their owners; a node whose channels are all confirmed is
    /// reported `.resubscribed`.
    private func placeHomeless() -> EventLoopFuture<Void> {
        let all = homeless.map { address, channels in
            place(Array(channels), retries: 1).map {
                self.homeless[address] = nil
                self.onEvent(address, .resubscribed)
            }
        }
        return EventLoopFuture.andAllSucceed(all, on: eventLoop)
    }

    /// Subscribes each channel on the current owner of its slot.
    private func place(_ channels: [String], retries: Int) -> EventLoopFuture<Void> {
        guard let topology = cluster.topologyOnLoop else { return eventLoop.makeFailedFuture(RedisError.notConnected) }
        var byNode: [RedisClusterNode: [String]] = [:]
        for channel in channels where desired.contains(channel) {
            guard let node = topology.primary(forKey: channel) else {
                return eventLoop.makeFailedFuture(RedisError.errorReply("CLUSTERDOWN slot of \(channel) unassigned"))
            }
            byNode[node, default: []].append(channel)
        }
        let all = byNode.map { node, group in
            subscriber(for: node).flatMap { $0.subscribe(group) }.flatMapError { error in
                guard retries > 0, case RedisError.errorReply(let message) = error, message.hasPrefix("MOVED") else {
                    return self.eventLoop.makeFailedFuture(error)
                }
                return self.cluster.refreshTopology().flatMap { _ in self.place(group, retries: retries - 1) }
            }
        }
        return EventLoopFuture.andAllSucceed(all, on: eventLoop)
    }

    /// The node's subscriber, started, once connected (or after the connect timeout: its `subscribe` then fails
    /// with `notConnected` and the channels are subscribed when it connects).
    private func subscriber(for node: RedisClusterNode) -> EventLoopFuture<RedisSubscriber> {
        let configuration = cluster.configuration(for: node)
        if let existing = subscribers[node.address] {
            return existing.whenConnected().failing(after: configuration.connectTimeout).recover { _ in }
                .map { existing }
        }
        do {
            let subscriber = try RedisSubscriber(configuration: configuration, options: options,
                                                 eventLoop: eventLoop, logger: logger) { [weak self] event in
                self?.handle(event, from: node.address)
            }
            subscribers[node.address] = subscriber
            subscriber.start()
            return subscriber.whenConnected().failing(after: configuration.connectTimeout).recover { _ in }
                .map { subscriber }
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
    }

    private func handle(_ event: RedisSubscriberEvent, from node: String) {
        onEvent(node, event)
        guard case .unsolicitedUnsubscribe(let channel) = event, desired.contains(channel) else { return }
        cluster.refreshTopology().flatMap { _ in self.place([channel], retries: 1) }.whenFailure { error in
            self.logger.error("redis cluster: could not re-subscribe \(channel): \(error)")
        }
    }

    private func onLoop<T>(_ body: @escaping (RedisClusterSubscriber) -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        if eventLoop.inEventLoop { return body(self) }
        return eventLoop.flatSubmit { body(self) }
    }
}
