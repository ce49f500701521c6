// The listening socket: TLS (optional), the HTTP/1.1 pipeline of each accepted connection, and the
// lifecycle calls `start` and `stopAccepting`.
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Errors from starting the server.
public struct WebSocketServerError: Error, CustomStringConvertible {
    public let description: String
}

/// The listening server. `start` binds and returns the bound port; `stopAccepting` closes the listener only.
public final class WebSocketServer: Sendable {
    private let configuration: WebSocketServerConfiguration
    private let group: EventLoopGroup
    private let delegate: HTTPServerDelegate
    private let logger: Logger
    private let listener = NIOLockedValueBox<Channel?>(nil)

    public init(configuration: WebSocketServerConfiguration, group: EventLoopGroup, delegate: HTTPServerDelegate) {
        self.configuration = configuration
        self.group = group
        self.delegate = delegate
        self.logger = Logger(label: "rally.websocket")
    }

    /// Binds `configuration.host:port` (port 0 picks a free one) and returns the bound port.
    public func start() async throws -> Int {
        let tlsContext = try self.configuration.tls.map(Self.makeTLSContext)
        let configuration = self.configuration
        let delegate = self.delegate
        let logger = self.logger
        let channel = try await ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: configuration.listenBacklog)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try Self.configurePipeline(
                        channel: channel, tlsContext: tlsContext, configuration: configuration,
                        delegate: delegate, logger: logger
                    )
                }
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()
        self.listener.withLockedValue { $0 = channel }
        guard let port = channel.localAddress?.port else {
            throw WebSocketServerError(description: "the listening socket has no port")
        }
        self.logger.info("listening", metadata: ["host": "\(configuration.host)", "port": "\(port)"])
        return port
    }

    /// Closes the listening socket; connections already accepted stay open.
    public func stopAccepting() async {
        let channel = self.listener.withLockedValue { listener -> Channel? in
            defer { listener = nil }
            return listener
        }
        try? await channel?.close()
    }

    private static func configurePipeline(
        channel: Channel, tlsContext: NIOSSLContext?, configuration: WebSocketServerConfiguration,
        delegate: HTTPServerDelegate, logger: Logger
    ) throws {
        let pipeline = channel.pipeline.syncOperations
        if let tlsContext {
            try pipeline.addHandler(NIOSSLServerHandler(context: tlsContext))
        }
        let decoder = ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes))
        let encoder = HTTPResponseEncoder()
        let codec = HTTPConnectionHandler.Codec(decoder: decoder, encoder: encoder)
        try pipeline.addHandler(decoder)
        try pipeline.addHandler(encoder)
        try pipeline.addHandler(
            HTTPConnectionHandler(configuration: configuration, delegate: delegate, codec: codec, logger: logger)
        )
    }

    private static func makeTLSContext(_ files: TLSFiles) throws -> NIOSSLContext {
        let certificates = try NIOSSLCertificate.fromPEMFile(files.certificateChainPath)
        guard !certificates.isEmpty else {
            throw WebSocketServerError(description: "no certificate in \(files.certificateChainPath)")
        }
        let key = try NIOSSLPrivateKey(file: files.privateKeyPath, format: .pem)
        let tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: certificates.map { .certificate($0) }, privateKey: .privateKey(key)
        )
        return try NIOSSLContext(configuration: tls)
    }
}
