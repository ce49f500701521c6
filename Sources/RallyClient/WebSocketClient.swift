import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// Opens client WebSocket connections (RFC 6455 over plain TCP).
public enum WebSocketClient {
    /// Connects and upgrades. Fails with `WebSocketClientError.upgradeRefused` (status and body)
    /// when the server answers the upgrade with anything but 101.
    public static func connect(
        to url: WebSocketURL,
        configuration: WebSocketClientConfiguration = .init(),
        inbound: WebSocketInbound = .stream,
        on group: EventLoopGroup
    ) -> EventLoopFuture<WebSocketConnection> {
        let bootstrap = bootstrap(group: group, configuration: configuration)
        // A numeric host needs no resolver (getaddrinfo and Happy Eyeballs cost more than the connect itself).
        let connected = (try? SocketAddress(ipAddress: url.host, port: url.port)).map { bootstrap.connect(to: $0) }
            ?? bootstrap.connect(host: url.host, port: url.port)
        return connected
            .flatMap { channel in
                upgrade(channel: channel, url: url, configuration: configuration, inbound: inbound)
            }
    }

    public static func connect(
        to url: String,
        configuration: WebSocketClientConfiguration = .init(),
        inbound: WebSocketInbound = .stream,
        on group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> WebSocketConnection {
        try await connect(to: WebSocketURL(parsing: url), configuration: configuration, inbound: inbound, on: group).get()
    }

    static func bootstrap(group: EventLoopGroup, configuration: WebSocketClientConfiguration) -> ClientBootstrap {
        var bootstrap = ClientBootstrap(group: group)
            .connectTimeout(configuration.connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
        if let size = configuration.receiveBufferSize {
            bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(size))
        }
        if let local = configuration.localAddress, let address = try? SocketAddress(ipAddress: local, port: 0) {
            // IP_BIND_ADDRESS_NO_PORT (24): pick the port at connect time, per 4-tuple, not at bind time.
            bootstrap = bootstrap
                .channelOption(.socket(SocketOptionLevel(IPPROTO_IP), 24), value: 1)
                .bind(to: address)
        }
        return bootstrap
    }

    private enum UpgradeOutcome: Sendable {
        case upgraded(WebSocketConnection)
        case refused(EventLoopFuture<RefusedUpgrade>)
    }

    private static func upgrade(
        channel: Channel,
        url: WebSocketURL,
        configuration: WebSocketClientConfiguration,
        inbound: WebSocketInbound
    ) -> EventLoopFuture<WebSocketConnection> {
        let outcome = channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
                configuration: pipelineConfiguration(url: url, configuration: configuration, inbound: inbound)
            )
        }
        let timer = UpgradeTimer()
        let timeout = channel.eventLoop.scheduleTask(in: configuration.upgradeTimeout) {
            timer.fired = true
            channel.close(promise: nil)
        }
        return outcome.flatMap { $0 }.always { _ in timeout.cancel() }.flatMap { outcome -> EventLoopFuture<WebSocketConnection> in
            switch outcome {
            case .upgraded(let connection):
                return channel.eventLoop.makeSucceededFuture(connection)
            case .refused(let response):
                return response.flatMapThrowing { throw $0.error }
            }
        }.flatMapErrorThrowing { error in
            channel.close(promise: nil)
            if timer.fired { throw WebSocketClientError.timedOut("the upgrade response") }
            if let upgradeError = error as? NIOHTTPClientUpgradeError {
                throw WebSocketClientError.handshakeFailed("\(upgradeError)")
            }
            if error is ChannelError {
                throw WebSocketClientError.handshakeFailed("connection closed during the upgrade (\(error))")
            }
            throw error
        }
    }

    private static func pipelineConfiguration(
        url: WebSocketURL,
        configuration: WebSocketClientConfiguration,
        inbound: WebSocketInbound
    ) -> NIOUpgradableHTTPClientPipelineConfiguration<UpgradeOutcome> {
        let upgrader = NIOTypedWebSocketClientUpgrader<UpgradeOutcome>(maxFrameSize: configuration.maxFrameSize) {
            channel, _ in
            channel.eventLoop.makeCompletedFuture {
                .upgraded(try installFrameHandler(on: channel, configuration: configuration, inbound: inbound))
            }
        }
        var headers = HTTPHeaders([("Host", url.hostHeader)])
        headers.add(contentsOf: configuration.headers)
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: url.requestTarget, headers: headers)
        let upgradeConfiguration = NIOTypedHTTPClientUpgradeConfiguration<UpgradeOutcome>(
            upgradeRequestHead: head,
            upgraders: [upgrader],
            notUpgradingCompletionHandler: { channel in
                channel.eventLoop.makeCompletedFuture {
                    let promise = channel.eventLoop.makePromise(of: RefusedUpgrade.self)
                    let collector = RefusedUpgradeCollector(promise: promise, maxBodySize: configuration.maxRefusalBodySize)
                    do { try channel.pipeline.syncOperations.addHandler(collector) } catch {
                        promise.fail(error)
                        throw error
                    }
                    return .refused(promise.futureResult)
                }
            }
        )
        var pipeline = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: upgradeConfiguration)
        pipeline.leftOverBytesStrategy = .forwardBytes  // frames may follow the 101 in the same read
        return pipeline
    }

    private static func installFrameHandler(
        on channel: Channel,
        configuration: WebSocketClientConfiguration,
        inbound: WebSocketInbound
    ) throws -> WebSocketConnection {
        let closed = channel.eventLoop.makePromise(of: WebSocketCloseInfo.self)
        let (stream, continuation) = AsyncStream.makeStream(of: WebSocketClientMessage.self)
        let deliver: @Sendable (WebSocketClientMessage) -> Void
        switch inbound {
        case .callback(let callback):
            deliver = callback
            continuation.finish()
        case .stream:
            deliver = { continuation.yield($0) }
        }
        let handler = WebSocketClientFrameHandler(
            configuration: configuration, deliver: deliver, finishInbound: { continuation.finish() }, closed: closed
        )
        do { try channel.pipeline.syncOperations.addHandler(handler) } catch {
            closed.fail(error)
            continuation.finish()
            throw error
        }
        return WebSocketConnection(channel: channel, closeFuture: closed.futureResult, messages: stream)
    }
}

/// Set on the channel's event loop when the upgrade took too long (read there too).
private final class UpgradeTimer: @unchecked Sendable {
    var fired = false
}
