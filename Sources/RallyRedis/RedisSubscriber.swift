import Logging
import NIOCore

/// What a `RedisSubscriber` reports, on its event loop.
public enum RedisSubscriberEvent: Sendable, Equatable {
    /// A `message` (or, in sharded mode, `smessage`) on a subscribed channel.
    case message(channel: String, payload: ByteBuffer)
    /// The connection dropped: messages published from now until `.resubscribed` are lost.
    case connectionLost
    /// A connection (the first or a later one) has every desired channel confirmed by Redis.
    case resubscribed
    /// Redis dropped the channel on its own (a sharded channel whose cluster slot moved away). The channel has
    /// left this subscriber's desired set: subscribe it where it now lives.
    case unsolicitedUnsubscribe(channel: String)
}

/// Options of a subscriber connection.
public struct RedisSubscriberOptions: Sendable {
    /// SSUBSCRIBE/SUNSUBSCRIBE (Redis 7 sharded pub/sub) instead of SUBSCRIBE/UNSUBSCRIBE.
    public var sharded: Bool
    /// How often a PING checks the connection; nil sends none.
    public var pingInterval: TimeAmount?
    /// How long a PING may go unanswered before the connection is closed and re-established.
    public var pingTimeout: TimeAmount
    /// At most this many channels per (un)subscribe command.
    public var batchLimit: Int

    public init(sharded: Bool = false, pingInterval: TimeAmount? = .seconds(30), pingTimeout: TimeAmount = .seconds(10),
                batchLimit: Int = 512) {
        self.sharded = sharded
        self.pingInterval = pingInterval
        self.pingTimeout = pingTimeout
        self.batchLimit = max(1, batchLimit)
    }
}

/// A RESP2 subscriber connection that keeps a desired set of channels subscribed across reconnects.
///
/// - `subscribe` adds channels to the desired set and completes once Redis confirmed each of them (channels are
///   sent in batches of at most `batchLimit`; in sharded mode a batch also never mixes cluster slots).
/// - While disconnected, `subscribe` still adds the channels to the desired set but fails at once with
///   `RedisError.notConnected`: the channels will be subscribed on the next connection, announced by
///   `.resubscribed`; a caller that does not want that calls `unsubscribe`. A connection lost before the
///   confirmation fails the future with `connectionLost`, with the same meaning.
/// - `unsubscribe` removes channels from the desired set and completes when Redis confirmed (at once when
///   disconnected). A refused subscribe (`-NOPERM`, `-MOVED`, …) fails with `RedisError.errorReply` and drops
///   the batch's channels from the desired set.
/// - A PING every `pingInterval`: unanswered within `pingTimeout`, the connection is closed and re-established.
///
/// Thread safety: as `RedisConnection`, all mutable state is confined to `eventLoop`; events and state changes are
/// delivered there.
public final class RedisSubscriber: @unchecked Sendable {
    public let eventLoop: any EventLoop
    public let options: RedisSubscriberOptions
    private let keeper: RedisChannelKeeper
    private let book = RedisSubscriptionBook()
    private let logger: Logger
    private let onEvent: @Sendable (RedisSubscriberEvent) -> Void
    private let onStateChange: @Sendable (RedisConnectionState) -> Void
    private var liveness: RedisLivenessProbe?

    public init(configuration: RedisConfiguration, options: RedisSubscriberOptions = RedisSubscriberOptions(),
                eventLoop: any EventLoop, logger: Logger = Logger(label: "rally.redis.subscriber"),
                onStateChange: @escaping @Sendable (RedisConnectionState) -> Void = { _ in },
                onEvent: @escaping @Sendable (RedisSubscriberEvent) -> Void) throws {
        self.eventLoop = eventLoop
        self.options = options
        self.logger = logger
        self.onEvent = onEvent
        self.onStateChange = onStateChange
        self.keeper = RedisChannelKeeper(connector: try RedisConnector(configuration: configuration),
                                         eventLoop: eventLoop, logger: logger)
        keeper.onConnected = { [weak self] channel in self?.didConnect(channel) }
        keeper.onDisconnected = { [weak self] in self?.didDisconnect() }
    }

    /// Starts connecting (and reconnecting after any drop). Idempotent.
    public func start() {
        onLoop { $0.keeper.start() }
    }

    /// Succeeds as soon as the connection is set up (at once if it is); fails with `shutDown`.
    public func whenConnected() -> EventLoopFuture<Void> {
        onLoop { $0.keeper.whenConnected() }
    }

    /// Adds `channels` to the desired set; succeeds once Redis confirmed every one of them.
    public func subscribe(_ channels: [String]) -> EventLoopFuture<Void> {
        onLoop { $0.subscribeOnLoop(channels) }
    }

    /// Removes `channels` from the desired set; succeeds once Redis confirmed (at once if disconnected).
    public func unsubscribe(_ channels: [String]) -> EventLoopFuture<Void> {
        onLoop { $0.unsubscribeOnLoop(channels) }
    }

    /// The desired set.
    public func desiredChannels() -> EventLoopFuture<Set<String>> {
        onLoop { $0.eventLoop.makeSucceededFuture($0.book.desired) }
    }

    /// Closes the current connection (one that looks open but delivers nothing, as after a failover): it is
    /// re-established with backoff and every desired channel subscribed again, announced by `.resubscribed`.
    public func reconnect() {
        onLoop { $0.keeper.channel?.close(promise: nil) }
    }

    /// Stops reconnecting and closes the connection.
    public func shutdown() -> EventLoopFuture<Void> {
        onLoop { $0.keeper.shutdown() }
    }

    private func subscribeOnLoop(_ channels: [String]) -> EventLoopFuture<Void> {
        let added = book.addDesired(channels)
        guard let channel = keeper.channel, channel.isActive else {
            return eventLoop.makeFailedFuture(RedisError.notConnected)
        }
        let promise = eventLoop.makePromise(of: Void.self)
        let waiting = book.waitForSubscribe(channels, promise: promise)
        send(.subscribe, added, on: channel)
        if !waiting { promise.succeed() }
        return promise.futureResult
    }

    private func unsubscribeOnLoop(_ channels: [String]) -> EventLoopFuture<Void> {
        let removed = book.removeDesired(channels)
        guard !removed.isEmpty, let channel = keeper.channel, channel.isActive else {
            return eventLoop.makeSucceededVoidFuture()
        }
        book.checkAllConfirmed().map { deliver([$0], on: channel) }  // the last unconfirmed may have left
        let promise = eventLoop.makePromise(of: Void.self)
        book.waitForUnsubscribe(removed, promise: promise)
        send(.unsubscribe, removed, on: channel)
        return promise.futureResult
    }

    /// Writes (un)subscribe commands for `channels`, batched, and records them as sent.
    private func send(_ kind: RedisSubscriptionBook.CommandKind, _ channels: [String], on channel: Channel) {
        guard !channels.isEmpty else { return }
        let verb: String
        switch kind {
        case .subscribe: verb = options.sharded ? "SSUBSCRIBE" : "SUBSCRIBE"
        case .unsubscribe: verb = options.sharded ? "SUNSUBSCRIBE" : "UNSUBSCRIBE"
        case .ping: verb = "PING"
        }
        for batch in batches(channels) {
            write([verb] + batch, on: channel)
            book.didSend(kind, channels: batch)
        }
        channel.flush()
    }

    /// Batches of at most `batchLimit`; in sharded mode each batch holds channels of one cluster slot.
    private func batches(_ channels: [String]) -> [[String]] {
        let groups = options.sharded
            ? Dictionary(grouping: channels, by: RedisKeySlot.slot(of:)).sorted { $0.key < $1.key }.map(\.value)
            : [channels]
        return groups.flatMap { group in
            stride(from: 0, to: group.count, by: options.batchLimit).map {
                Array(group[$0..<min($0 + options.batchLimit, group.count)])
            }
        }
    }

    private func write(_ arguments: [String], on channel: Channel) {
        guard let bytes = try? RESPCommandEncoder.encode(arguments, allocator: channel.allocator) else { return }
        channel.write(bytes, promise: nil)
    }

    private func sendPing() {
        guard let channel = keeper.channel, channel.isActive else { return }
        write(["PING"], on: channel)
        book.didSend(.ping, channels: [])
        channel.flush()
    }

    private func didConnect(_ channel: Channel) {
        do {
            let operations = channel.pipeline.syncOperations
            _ = operations.removeHandler(try operations.handler(type: RedisCommandHandler.self))
            try operations.addHandler(RedisSubscriberHandler { [weak self] reply in self?.handle(reply, on: channel) })
        } catch {
            channel.close(promise: nil)
            return
        }
        book.connectionOpened()
        onStateChange(.connected)
        startLiveness(on: channel)
        send(.subscribe, Array(book.desired), on: channel)
        book.checkAllConfirmed().map { deliver([$0], on: channel) }
    }

    private func didDisconnect() {
        liveness?.stop()
        liveness = nil
        book.connectionClosed()
        onStateChange(.disconnected)
        onEvent(.connectionLost)
    }

    private func startLiveness(on channel: Channel) {
        liveness?.stop()
        guard let interval = options.pingInterval else { return }
        liveness = RedisLivenessProbe(channel: channel, interval: interval, timeout: options.pingTimeout,
                                      logger: logger) { [weak self] in self?.sendPing() }
    }

    private func handle(_ reply: RESPValue, on channel: Channel) {
        deliver(book.handle(reply), on: channel)
    }

    private func deliver(_ outcomes: [RedisSubscriptionOutcome], on channel: Channel) {
        for outcome in outcomes {
            switch outcome {
            case .message(let name, let payload): onEvent(.message(channel: name, payload: payload))
            case .unsolicitedUnsubscribe(let name): onEvent(.unsolicitedUnsubscribe(channel: name))
            case .allConfirmed: onEvent(.resubscribed)
            case .pong: liveness?.answered()
            case .protocolViolation(let reason):
                logger.error("redis subscriber: \(reason); closing the connection")
                channel.close(promise: nil)
            }
        }
    }

    private func onLoop<T>(_ body: @escaping (RedisSubscriber) -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        if eventLoop.inEventLoop { return body(self) }
        return eventLoop.flatSubmit { body(self) }
    }

    private func onLoop(_ body: @escaping (RedisSubscriber) -> Void) {
        if eventLoop.inEventLoop { body(self) } else { eventLoop.execute { body(self) } }
    }
}
