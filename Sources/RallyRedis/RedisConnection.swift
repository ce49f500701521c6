import Logging
import NIOCore

/// A pipelined command connection to one Redis, kept open across drops.
///
/// - `send` writes at once without waiting for earlier replies; every write of one event-loop tick goes out
///   with a single flush; replies complete the futures in command order.
/// - Error replies (`-ERR …`, `-MOVED …`) are not failures: the future succeeds with `RESPValue.error`.
/// - The future fails with `RedisError.notConnected` while the connection is down (nothing is queued),
///   `tooManyInFlightCommands` past `maxInFlightCommands` awaiting replies, and `connectionLost` when the
///   connection closes before the reply (the outcome is then unknown).
/// - After a drop it reconnects with `RedisBackoff` until `shutdown()`; `onStateChange` hears each transition.
///
/// Thread safety: all mutable state lives on `eventLoop` and is only touched there; the public methods may be
/// called from any thread and hop to it (a call made on `eventLoop` itself runs inline). Hence the
/// `@unchecked Sendable`, with no lock on the send path.
public final class RedisConnection: @unchecked Sendable {
    public let eventLoop: any EventLoop
    public let configuration: RedisConfiguration
    private let keeper: RedisChannelKeeper
    private let onStateChange: @Sendable (RedisConnectionState) -> Void
    /// The command handler of the current channel (event loop only).
    private var handler: RedisCommandHandler?
    private var flushScheduled = false

    /// Builds the connection (nothing happens until `start()`). Throws if the TLS configuration is invalid.
    public init(configuration: RedisConfiguration, eventLoop: any EventLoop,
                logger: Logger = Logger(label: "rally.redis"),
                onStateChange: @escaping @Sendable (RedisConnectionState) -> Void = { _ in }) throws {
        self.eventLoop = eventLoop
        self.configuration = configuration
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

    /// Succeeds as soon as the connection is usable (at once if it is); fails with `shutDown`.
    public func whenConnected() -> EventLoopFuture<Void> {
        onLoop { $0.keeper.whenConnected() }
    }

    /// Starts the connection and waits for its first successful setup.
    public static func connect(configuration: RedisConfiguration, eventLoop: any EventLoop,
                               logger: Logger = Logger(label: "rally.redis"),
                               onStateChange: @escaping @Sendable (RedisConnectionState) -> Void = { _ in })
        -> EventLoopFuture<RedisConnection> {
        do {
            let connection = try RedisConnection(configuration: configuration, eventLoop: eventLoop, logger: logger,
                                                 onStateChange: onStateChange)
            connection.start()
            return connection.whenConnected().map { connection }
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
    }

    /// Sends one command (`["SET", "k", "v"]`); see the type's documentation for the outcomes.
    public func send(_ arguments: [ByteBuffer]) -> EventLoopFuture<RESPValue> {
        send { try RESPCommandEncoder.encode(arguments, into: &$0) }
    }

    /// Sends one command whose arguments are UTF-8 strings.
    public func send(_ arguments: [String]) -> EventLoopFuture<RESPValue> {
        send { try RESPCommandEncoder.encode(arguments, into: &$0) }
    }

    /// Stops reconnecting and closes the connection; pending commands fail with `connectionLost`.
    public func shutdown() -> EventLoopFuture<Void> {
        onLoop { $0.keeper.shutdown() }
    }

    /// Commands sent and not yet answered (event loop only; for tests and metrics).
    public func inFlightCount() -> EventLoopFuture<Int> {
        onLoop { $0.eventLoop.makeSucceededFuture($0.handler?.pendingCount ?? 0) }
    }

    private func send(_ encode: (inout ByteBuffer) throws -> Void) -> EventLoopFuture<RESPValue> {
        var bytes = ByteBuffer()
        do {
            try encode(&bytes)
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
        let promise = eventLoop.makePromise(of: RESPValue.self)
        if eventLoop.inEventLoop {
            enqueue(RedisCommand(bytes: bytes, reply: promise))
        } else {
            eventLoop.execute { self.enqueue(RedisCommand(bytes: bytes, reply: promise)) }
        }
        return promise.futureResult
    }

    private func enqueue(_ command: RedisCommand) {
        guard let channel = keeper.channel, channel.isActive, let handler else {
            command.reply.fail(RedisError.notConnected)
            return
        }
        guard handler.pendingCount < configuration.maxInFlightCommands else {
            command.reply.fail(RedisError.tooManyInFlightCommands(limit: configuration.maxInFlightCommands))
            return
        }
        channel.write(command, promise: nil)
        scheduleFlush(channel)
    }

    /// One flush per event-loop tick, after every write of that tick.
    private func scheduleFlush(_ channel: Channel) {
        guard !flushScheduled else { return }
        flushScheduled = true
        eventLoop.execute {
            self.flushScheduled = false
            channel.flush()
        }
    }

    private func didConnect(_ channel: Channel) {
        handler = try? channel.pipeline.syncOperations.handler(type: RedisCommandHandler.self)
        onStateChange(.connected)
    }

    private func didDisconnect() {
        handler = nil
        onStateChange(.disconnected)
    }

    private func onLoop<T>(_ body: @escaping (RedisConnection) -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        if eventLoop.inEventLoop { return body(self) }
        return eventLoop.flatSubmit { body(self) }
    }

    private func onLoop(_ body: @escaping (RedisConnection) -> Void) {
        if eventLoop.inEventLoop { body(self) } else { eventLoop.execute { body(self) } }
    }
}
