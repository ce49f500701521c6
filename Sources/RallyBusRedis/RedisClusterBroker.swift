import Logging
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import RallyBus
import RallyRedis

/// The bus on a Redis Cluster: `SPUBLISH` routed to the primary of the channel's slot, `SSUBSCRIBE` on one
/// subscriber connection per primary, channel names from `ClusterChannelNames` (topics spread over a fixed
/// number of partitions). Commands and subscriptions use two `RedisCluster`s (`rally:<id>:pub` and
/// `rally:<id>:sub` connections), each following the topology by itself.
///
/// The hub hears `busDisconnected` when any subscriber connection drops and `busReconnected` once every dropped
/// one has subscribed its channels again, or its channels moved to the replica that took over its slots (the
/// topology is re-read every 2 s while a connection stays lost). A slot that moves (the old owner pushes
/// `sunsubscribe`) is a gap too: the channel is subscribed on its new owner, and the hub hears the pair once
/// that is confirmed.
public final class RedisClusterBroker: Broker {
    public let nodeID: UInt64
    public let names: ClusterChannelNames
    private let loop: EventLoop
    private let commands: RedisCluster
    private let subscriptions: RedisCluster
    private let subscriber: RedisClusterSubscriber
    private let logger: Logger
    private let retryDelay: TimeAmount = .seconds(1)
    private let publishFailures = Counter(label: "rally_bus_publish_failures_total")
    private let unknownChannels = Counter(label: "rally_bus_dropped_total", dimensions: [("reason", "unknown_channel")])
    private let slotMoves = Counter(label: "rally_bus_slot_moves_total")

    private struct State {
        var receiver: (any BusReceiver)?
        var connected = false
        var wasLive = false
        /// The nodes whose subscriber connection was lost and has not subscribed everything again yet.
        var lostNodes = Set<String>()
        /// Channels whose slot moved, not yet confirmed on the new owner.
        var moving = 0
        var firstLive: EventLoopPromise<Void>?
        var isShutDown = false
        /// The node's own channels were confirmed once (`start` got that far).
        var started = false
        var failureLog = Throttle()
    }

    private let state = NIOLockedValueBox(State())

    /// - Parameters:
    ///   - configuration: any one node of the cluster (`RALLY_REDIS_URL`) and the connections' bounds.
    ///   - partitions: how many partitions topics spread over (`RALLY_REDIS_PARTITIONS`; the same on every node).
    public init(configuration: RedisConfiguration, nodeID: UInt64, eventLoop: EventLoop,
                partitions: Int = PartitionTags.defaultCount, pingInterval: TimeAmount = .seconds(5),
                logger: Logger = Logger(label: "rally.bus.redis-cluster")) throws {
        self.nodeID = nodeID
        self.loop = eventLoop
        self.logger = logger
        self.names = try ClusterChannelNames(partitions: partitions)
        let name = "rally:" + String(nodeID, radix: 16)
        var publishing = configuration
        publishing.clientName = name + ":pub"
        var subscribing = configuration
        subscribing.clientName = name + ":sub"
        commands = RedisCluster(configuration: publishing, eventLoop: eventLoop, logger: logger)
        subscriptions = RedisCluster(configuration: subscribing, eventLoop: eventLoop, logger: logger)
        let options = RedisSubscriberOptions(pingInterval: pingInterval, pingTimeout: pingInterval * 2)
        let relay = EventRelay()
        subscriber = RedisClusterSubscriber(cluster: subscriptions, options: options, logger: logger) {
            node, event in relay.broker?.handle(event, from: node)
        }
        relay.broker = self
    }

    public var isConnected: Bool { state.withLockedValue { $0.connected } }

    /// Per-user write counters shared by every node: one script call per key, on the primary of its slot.
    public var rateCounter: any SharedRateCounter { RedisClusterRateCounter(cluster: commands) }

    /// Reads the topology (for both clusters) and subscribes the node's own channels, trying again every second
    /// until that works. Succeeds when they are first confirmed (the node serves what it can meanwhile).
    public func start(receiver: any BusReceiver) -> EventLoopFuture<Void> {
        let promise = loop.makePromise(of: Void.self)
        state.withLockedValue { $0.receiver = receiver; $0.firstLive = promise }
        connect()
        return promise.futureResult
    }

    private func connect() {
        let own = [BusChannel.control, .node(nodeID), .ingress].map(names.name(of:))
        let topologies = commands.start().and(subscriptions.start())
        topologies.flatMap { _ in self.subscriber.subscribe(own) }.whenComplete { [self] result in
            switch result {
            case .success:
                state.withLockedValue { $0.started = true }
                becameLive()
            case .failure(let error):
                guard !state.withLockedValue({ $0.isShutDown }) else { return }
                logger.warning("Redis Cluster not ready; trying again", metadata: ["error": "\(error)"])
                loop.scheduleTask(in: retryDelay) { self.connect() }
            }
        }
    }

    public func publish(_ bytes: ByteBuffer, to channel: BusChannel) {
        let name = names.name(of: channel)
        commands.send([ByteBuffer(string: "SPUBLISH"), ByteBuffer(string: name), bytes], key: name)
            .whenComplete { [self] result in
                if let reason = BrokerReplies.publishFailure(result) { failedPublish(reason) }
            }
    }

    public func subscribe(_ channel: BusChannel) -> EventLoopFuture<Void> {
        BrokerReplies.subscription(subscriber.subscribe([names.name(of: channel)])).hop(to: loop)
    }

    public func unsubscribe(_ channel: BusChannel) {
        _ = subscriber.unsubscribe([names.name(of: channel)])
    }

    /// Waits for what was published so far to be answered (a PING behind it on each connection), then closes.
    public func reconnect() {
        logger.warning("Redis Cluster subscriber connections stalled: reconnecting")
        subscriber.reconnect()
    }

    public func shutdown() -> EventLoopFuture<Void> {
        let neverLive = state.withLockedValue { state in
            defer { state.receiver = nil; state.isShutDown = true; state.firstLive = nil }
            return state.firstLive
        }
        neverLive?.fail(BusError.shutDown)  // shut down before the cluster was ever reached
        let drained = commands.currentTopology().flatMap { [self] topology in
            let pings = drainKeys(topology).map { key in
                commands.send(["PING"], key: key).map { _ in }.recover { _ in }
            }
            return EventLoopFuture.andAllComplete(pings, on: loop)
        }
        return drained.flatMap { [self] in
            subscriber.shutdown().and(subscriptions.shutdown()).and(commands.shutdown()).map { _ in }
        }
    }

    /// One key per primary (from the partition tags and the fixed ones), for a PING behind its publishes.
    private func drainKeys(_ topology: RedisClusterTopology?) -> [String] {
        guard let topology else { return [] }
        var byPrimary: [String: String] = [:]
        for tag in names.tags.table + ["ctl", "in"] {
            let key = "{\(tag)}"
            guard let node = topology.primary(forKey: key), byPrimary[node.address] == nil else { continue }
            byPrimary[node.address] = key
        }
        return Array(byPrimary.values)
    }

    // MARK: subscriber events (on `loop`)

    private func handle(_ event: RedisSubscriberEvent, from node: String) {
        switch event {
        case .message(let channel, let payload):
            guard let busChannel = names.channel(named: channel) else { unknownChannels.increment(); return }
            state.withLockedValue { $0.receiver }?.bus(received: payload, on: busChannel)
        case .connectionLost:
            logger.warning("Redis Cluster subscriber connection lost", metadata: ["node": "\(node)"])
            becameDown { $0.lostNodes.insert(node) }
            watch(lost: node)
        case .resubscribed:
            recovered { $0.lostNodes.remove(node) }
        case .unsolicitedUnsubscribe(let channel):
            logger.notice("a Redis Cluster slot moved; subscribing again", metadata: ["channel": "\(channel)"])
            slotMoves.increment()
            becameDown { $0.moving += 1 }
            follow(moved: channel)
        }
    }

    /// Subscribes a channel whose slot moved on its new owner (the subscriber refreshes the topology on MOVED).
    private func follow(moved channel: String) {
        subscriber.subscribe([channel]).whenComplete { [self] result in
            switch result {
            case .success: recovered { $0.moving -= 1 }
            case .failure(let error):
                guard !state.withLockedValue({ $0.isShutDown }) else { return }
                logger.warning("could not subscribe a moved channel yet", metadata: ["error": "\(error)"])
                loop.scheduleTask(in: retryDelay) { self.follow(moved: channel) }
            }
        }
    }

    /// While `node`'s connection stays lost, re-reads the topology every few seconds: if a replica took over,
    /// the node's channels move to it (and the node counts as recovered).
    private func watch(lost node: String) {
        loop.scheduleTask(in: retryDelay * 2) { [self] in
            guard state.withLockedValue({ !$0.isShutDown && $0.lostNodes.contains(node) }) else { return }
            subscriber.followTopology().whenComplete { _ in self.watch(lost: node) }
        }
    }

    private func becameDown(_ change: (inout State) -> Void) {
        let receiver = state.withLockedValue { state -> (any BusReceiver)? in
            change(&state)
            defer { state.connected = false }
            return state.connected ? state.receiver : nil
        }
        receiver?.busDisconnected()
    }

    /// A dropped connection has its channels back (or a moved channel is confirmed on its new owner).
    private func recovered(_ change: (inout State) -> Void) {
        state.withLockedValue { change(&$0) }
        becameLive()
    }

    /// Every wanted channel is confirmed: the first time completes `start`, later times are reconnects.
    private func becameLive() {
        let (receiver, reconnect, first) = state.withLockedValue { state in
            guard state.started, !state.connected, state.lostNodes.isEmpty, state.moving == 0 else {
                return ((any BusReceiver)?.none, false, EventLoopPromise<Void>?.none)
            }
            state.connected = true
            defer { state.wasLive = true; state.firstLive = nil }
            return (state.receiver, state.wasLive, state.firstLive)
        }
        first?.succeed(())
        if reconnect { receiver?.busReconnected() }
    }

    /// At most once a second: logs, and re-reads the topology (a primary that crashed and was replaced is found
    /// before the periodic refresh; a `-MOVED` reply is followed by the client itself).
    private func failedPublish(_ reason: String) {
        publishFailures.increment()
        guard state.withLockedValue({ $0.failureLog.allow() }) else { return }
        logger.warning("publish to Redis Cluster failed", metadata: ["reason": "\(reason)"])
        _ = commands.refreshTopology()
    }
}

/// Hands the subscriber's events to the broker, which exists only after the subscriber does.
private final class EventRelay: Sendable {
    private struct Weak { weak var broker: RedisClusterBroker? }
    private let box = NIOLockedValueBox(Weak())

    var broker: RedisClusterBroker? {
        get { box.withLockedValue { $0.broker } }
        set { box.withLockedValue { $0.broker = newValue } }
    }
}
