import Logging
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import RallyBus
import RallyRedis

/// The bus on one Redis (standalone or a replica set behind one address): `PUBLISH` on a pipelined command
/// connection, `SUBSCRIBE` on a subscriber connection (RESP2, so two connections per node). Both reconnect by
/// themselves; the subscriber keeps the wanted channels and subscribes them all again after a drop, then the hub
/// hears `busReconnected` and heals (presence fetched again, subscribers told of the gap).
public final class RedisBroker: Broker {
    public let nodeID: UInt64
    private let loop: EventLoop
    private let commands: RedisConnection
    /// Set once, at the end of `init` (its event handler needs `self`); only read after.
    nonisolated(unsafe) private var subscriber: RedisSubscriber!
    private let logger: Logger
    private let publishFailures = Counter(label: "rally_bus_publish_failures_total")
    private let unknownChannels = Counter(label: "rally_bus_dropped_total", dimensions: [("reason", "unknown_channel")])

    private struct State {
        var receiver: (any BusReceiver)?
        var connected = false
        var wasLive = false
        var firstLive: EventLoopPromise<Void>?
        var failureLog = Throttle()
    }

    private let state = NIOLockedValueBox(State())

    /// - Parameters:
    ///   - configuration: where Redis is (`RALLY_REDIS_URL`) and the connections' bounds.
    ///   - pingInterval: how often the subscriber connection proves it is alive (a stalled one is replaced).
    public init(configuration: RedisConfiguration, nodeID: UInt64, eventLoop: EventLoop,
                pingInterval: TimeAmount = .seconds(5), logger: Logger = Logger(label: "rally.bus.redis")) throws {
        self.nodeID = nodeID
        self.loop = eventLoop
        self.logger = logger
        let name = "rally:" + String(nodeID, radix: 16)
        var publishing = configuration
        publishing.clientName = name + ":pub"
        var subscribing = configuration
        subscribing.clientName = name + ":sub"
        commands = try RedisConnection(configuration: publishing, eventLoop: eventLoop, logger: logger)
        let options = RedisSubscriberOptions(pingInterval: pingInterval, pingTimeout: pingInterval * 2)
        subscriber = try RedisSubscriber(configuration: subscribing, options: options, eventLoop: eventLoop,
                                         logger: logger) { [weak self] event in self?.handle(event) }
    }

    public var isConnected: Bool { state.withLockedValue { $0.connected } }

    /// Per-user write counters shared by every node, on this broker's command connection.
    public var rateCounter: any SharedRateCounter { RedisRateCounter(connection: commands) }

    /// Connects both connections and subscribes the node's own channels. Succeeds when they are first confirmed
    /// (which may be long after a start while Redis is unreachable: the node serves what it can meanwhile).
    public func start(receiver: any BusReceiver) -> EventLoopFuture<Void> {
        let promise = loop.makePromise(of: Void.self)
        state.withLockedValue { $0.receiver = receiver; $0.firstLive = promise }
        commands.start()
        subscriber.start()
        let own = [BusChannel.control, .node(nodeID), .ingress].map(\.name)
        subscriber.subscribe(own).whenSuccess { [self] in becameLive() }
        return promise.futureResult
    }

    public func publish(_ bytes: ByteBuffer, to channel: BusChannel) {
        commands.send([ByteBuffer(string: "PUBLISH"), ByteBuffer(string: channel.name), bytes])
            .whenComplete { [self] result in
                if let reason = BrokerReplies.publishFailure(result) { failedPublish(reason) }
            }
    }

    public func subscribe(_ channel: BusChannel) -> EventLoopFuture<Void> {
        BrokerReplies.subscription(subscriber.subscribe([channel.name]))
    }

    public func unsubscribe(_ channel: BusChannel) {
        _ = subscriber.unsubscribe([channel.name])
    }

    public func reconnect() {
        logger.warning("Redis subscriber connection stalled: reconnecting")
        subscriber.reconnect()
    }

    /// Waits for what was published so far to be answered (a PING queued behind it), then closes both.
    public func shutdown() -> EventLoopFuture<Void> {
        let neverLive = state.withLockedValue { state in
            defer { state.receiver = nil; state.firstLive = nil }
            return state.firstLive
        }
        neverLive?.fail(BusError.shutDown)  // shut down before Redis was ever reached
        let drained = commands.send(["PING"]).map { _ in }.recover { _ in }
        return drained.flatMap { [self] in
            subscriber.shutdown().and(commands.shutdown()).map { _ in }
        }
    }

    // MARK: subscriber events (on `loop`)

    private func handle(_ event: RedisSubscriberEvent) {
        switch event {
        case .message(let channel, let payload):
            guard let busChannel = BusChannel(name: channel) else { unknownChannels.increment(); return }
            state.withLockedValue { $0.receiver }?.bus(received: payload, on: busChannel)
        case .connectionLost:
            let receiver = state.withLockedValue { state -> (any BusReceiver)? in
                defer { state.connected = false }
                return state.connected ? state.receiver : nil
            }
            logger.warning("Redis subscriber connection lost")
            receiver?.busDisconnected()
        case .resubscribed:
            becameLive()
        case .unsolicitedUnsubscribe(let channel):
            logger.notice("Redis dropped a subscription; subscribing again", metadata: ["channel": "\(channel)"])
            _ = subscriber.subscribe([channel])
        }
    }

    /// Every wanted channel is confirmed: the first time completes `start`, later times are reconnects.
    private func becameLive() {
        let (receiver, reconnect, first) = state.withLockedValue { state in
            guard !state.connected else { return ((any BusReceiver)?.none, false, EventLoopPromise<Void>?.none) }
            state.connected = true
            defer { state.wasLive = true; state.firstLive = nil }
            return (state.receiver, state.wasLive, state.firstLive)
        }
        first?.succeed(())
        if reconnect { receiver?.busReconnected() }
    }

    private func failedPublish(_ reason: String) {
        publishFailures.increment()
        if state.withLockedValue({ $0.failureLog.allow() }) { logger.warning("publish to Redis failed", metadata: ["reason": "\(reason)"]) }
    }
}
