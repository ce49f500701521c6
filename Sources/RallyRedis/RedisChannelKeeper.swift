import Logging
import NIOCore

/// Whether a connection to Redis is currently usable; reported to the owner's state callback.
public enum RedisConnectionState: Sendable, Equatable {
    case connected
    case disconnected
}

/// Keeps one set-up channel to Redis open: connects, and after a failed attempt or a drop waits a backoff delay
/// (`RedisBackoff`) and tries again, until `shutdown()`.
///
/// Everything here runs on `eventLoop` and is touched only there (callers hop first).
final class RedisChannelKeeper {
    private enum State {
        case idle
        case connecting(EventLoopFuture<Channel>)
        case connected(Channel)
        case waiting(Scheduled<Void>)
        case shutDown
    }

    let eventLoop: any EventLoop
    private let connector: RedisConnector
    private let backoff: RedisBackoff
    private let logger: Logger
    private var state = State.idle
    private var failedAttempts = 0
    private var connectedWaiters: [EventLoopPromise<Void>] = []
    /// Called with each newly set-up channel, before any other use of it.
    var onConnected: (Channel) -> Void = { _ in }
    /// Called once when a channel that was connected has closed.
    var onDisconnected: () -> Void = {}

    init(connector: RedisConnector, eventLoop: any EventLoop, logger: Logger) {
        self.connector = connector
        self.eventLoop = eventLoop
        self.backoff = connector.configuration.reconnectBackoff
        self.logger = logger
    }

    /// The usable channel, if connected.
    var channel: Channel? {
        if case .connected(let channel) = state { return channel }
        return nil
    }

    func start() {
        eventLoop.assertInEventLoop()
        guard case .idle = state else { return }
        attempt()
    }

    /// Succeeds when connected (now or later); fails with `RedisError.shutDown` on shutdown.
    func whenConnected() -> EventLoopFuture<Void> {
        eventLoop.assertInEventLoop()
        switch state {
        case .connected: return eventLoop.makeSucceededVoidFuture()
        case .shutDown: return eventLoop.makeFailedFuture(RedisError.shutDown)
        default:
            let promise = eventLoop.makePromise(of: Void.self)
            connectedWaiters.append(promise)
            return promise.futureResult
        }
    }

    /// Closes the channel (if any), stops reconnecting; succeeds once the channel is closed (after
    /// `onDisconnected` if it was connected).
    func shutdown() -> EventLoopFuture<Void> {
        eventLoop.assertInEventLoop()
        let previous = state
        state = .shutDown
        failConnectedWaiters()
        switch previous {
        case .connected(let channel):
            return channel.close().recover { _ in }.map { self.onDisconnected() }
        case .waiting(let scheduled):
            scheduled.cancel()
        case .connecting(let attempt):  // wait for the attempt, and close what it opened
            return attempt.flatMap { $0.close() }.recover { _ in }
        default:
            break
        }
        return eventLoop.makeSucceededVoidFuture()
    }

    private func attempt() {
        let attempt = connector.connect(on: eventLoop)
        state = .connecting(attempt)
        attempt.whenComplete { result in
            switch result {
            case .success(let channel): self.didConnect(channel)
            case .failure(let error): self.didFail(error)
            }
        }
    }

    private func didConnect(_ channel: Channel) {
        guard case .connecting = state else {  // shut down meanwhile
            channel.close(promise: nil)
            return
        }
        state = .connected(channel)
        failedAttempts = 0
        logger.debug("redis connected", metadata: ["redis.url": "\(connector.configuration.url)"])
        channel.closeFuture.whenComplete { _ in self.didClose(channel) }
        onConnected(channel)
        let waiters = connectedWaiters
        connectedWaiters.removeAll()
        waiters.forEach { $0.succeed() }
    }

    private func didFail(_ error: any Error) {
        guard case .connecting = state else { return }
        logger.warning("redis connect failed", metadata: ["redis.url": "\(connector.configuration.url)",
                                                          "error": "\(error)"])
        scheduleReconnect()
    }

    private func didClose(_ channel: Channel) {
        guard case .connected(let current) = state, current === channel else { return }
        logger.warning("redis connection lost", metadata: ["redis.url": "\(connector.configuration.url)"])
        scheduleReconnect()
        onDisconnected()
    }

    private func scheduleReconnect() {
        let delay = backoff.delay(attempt: failedAttempts)
        failedAttempts += 1
        state = .waiting(eventLoop.scheduleTask(in: delay) { self.attempt() })
    }

    private func failConnectedWaiters() {
        let waiters = connectedWaiters
        connectedWaiters.removeAll()
        waiters.forEach { $0.fail(RedisError.shutDown) }
    }
}

extension EventLoopFuture where Value == Void {
    /// This future, or a failure with `RedisError.notConnected` once `timeout` has passed.
    func failing(after timeout: TimeAmount) -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        cascade(to: promise)
        let timer = eventLoop.scheduleTask(in: timeout) { promise.fail(RedisError.notConnected) }
        promise.futureResult.whenComplete { _ in timer.cancel() }
        return promise.futureResult
    }
}
