// The listening sockets and their configuration: limits (each default documented where it is declared),
// TLS from certificate files, the HTTP/1.1 pipeline of each accepted connection, and the lifecycle
// calls `start` and `stopAccepting`.
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct WebSocketServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 4000
    /// Largest single frame payload accepted (bytes). Larger → close 1009.
    public var maxFrameSize = 16 * 1024 * 1024
    /// Largest reassembled (and decompressed) message (bytes). Larger → close 1009.
    public var maxMessageSize = 16 * 1024 * 1024
    /// Outbound bytes queued per socket before it is closed as a slow consumer (1013).
    ///
    /// Counts bytes accepted by `send` whose socket write has not completed. A message that alone is
    /// larger than this is still accepted when nothing else is queued.
    public var maxOutboundBytes = 1024 * 1024
    public var permessageDeflate = true
    /// Answer permessage-deflate offers with `client_no_context_takeover` even when the client did not
    /// ask for it (RFC 7692 §7.1.1.2). Off by default: clients then keep their compression window,
    /// which costs this server one inflater (up to ~40 KiB) per compressing connection.
    public var requireClientNoContextTakeover = false
    /// Time allowed from TCP accept to a complete HTTP request, head and body (an upgrade request
    /// included); also the time a keep-alive connection has for its next complete request.
    public var handshakeTimeout: TimeAmount = .seconds(10)
    /// Time without any inbound frame before the socket is closed (seconds).
    ///
    /// Expiry starts the closing handshake with code 1011 and reason "idle timeout".
    public var idleTimeout: TimeAmount = .seconds(60)
    /// Time allowed, after this side sent a close frame, for the peer's close frame before the TCP
    /// connection is closed anyway.
    public var closeTimeout: TimeAmount = .seconds(5)
    /// Largest HTTP request body accepted for plain requests (bytes). Larger → 413.
    public var maxHTTPBodySize = 1024 * 1024
    /// Pending-connection queue length of the listening socket (capped by the kernel's somaxconn).
    public var listenBacklog: Int32 = 4096
    /// Pause of the accept loop after a failed accept (EMFILE/ENFILE at the descriptor limit, ENOBUFS, …), so a
    /// node out of descriptors does not spin; accepting resumes by itself once descriptors are free again.
    public var acceptBackoff: TimeAmount = .milliseconds(250)
    /// Descriptors kept from accepted connections: the listeners stop accepting while every descriptor number
    /// below the process's limit (`ulimit -n`) minus this reserve is in use, and resume once one is free.
    public var descriptorReserve = 256
    public var tls: TLSFiles? = nil
    public init() {}
}

public struct TLSFiles: Sendable {
    public var certificateChainPath: String
    public var privateKeyPath: String
    public init(certificateChainPath: String, privateKeyPath: String) {
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
    }
}

/// Errors from starting the server.
public struct WebSocketServerError: Error, CustomStringConvertible {
    public let description: String
}

/// The listening server. `start` binds and returns the bound port; `stopAccepting` closes the listeners only.
public final class WebSocketServer: Sendable {
    private let configuration: WebSocketServerConfiguration
    private let group: EventLoopGroup
    private let delegate: HTTPServerDelegate
    private let logger: Logger
    private let listeners = NIOLockedValueBox<[Channel]>([])
    private let acceptFailed: @Sendable (IOError) -> Void
    private let ceiling: AcceptCeiling

    /// `acceptFailed` is told of every failed accept (each one pauses accepting for `acceptBackoff`),
    /// `ceilingReached` each time accepting pauses at the descriptor ceiling (until a descriptor below it is free).
    public init(configuration: WebSocketServerConfiguration, group: EventLoopGroup, delegate: HTTPServerDelegate,
                acceptFailed: @escaping @Sendable (IOError) -> Void = { _ in },
                ceilingReached: @escaping @Sendable () -> Void = {}) {
        self.configuration = configuration
        self.group = group
        self.delegate = delegate
        self.logger = Logger(label: "rally.websocket")
        self.acceptFailed = acceptFailed
        let ceiling = AcceptCeiling.ceiling(
            descriptorLimit: AcceptCeiling.descriptorLimit(), reserve: configuration.descriptorReserve)
        self.ceiling = AcceptCeiling(ceiling: ceiling, reached: ceilingReached)
    }

    /// The descriptor number accepted connections stay below (the process's limit minus `descriptorReserve`).
    public var descriptorCeiling: Int { Int(self.ceiling.ceiling) }

    /// Whether each listener reads new connections now, asked on its own loop (so after any pause or resume
    /// already handed to that loop).
    func listenersAccepting() async throws -> [Bool] {
        var accepting: [Bool] = []
        for listener in self.listeners.withLockedValue({ $0 }) {
            accepting.append(try await listener.getOption(.autoRead).get())
        }
        return accepting
    }

    /// Binds `configuration.host:port` (port 0 picks a free one) and returns the bound port.
    ///
    /// One listening socket per event loop (`SO_REUSEPORT`; the kernel spreads new connections over them), each
    /// accepting for its own loop: a connection is accepted, registered and served on one thread, with no hop from
    /// an accepting loop to the connection's. A port another process already listens on still fails the start.
    public func start() async throws -> Int {
        let loops = Array(self.group.makeIterator())
        let sharesPort = loops.count > 1
        let tlsContext = try self.configuration.tls.map(Self.makeTLSContext)
        if sharesPort, self.configuration.port != 0 {
            try await self.bootstrap(on: loops[0], reusePort: false, tlsContext: tlsContext)
                .bind(host: self.configuration.host, port: self.configuration.port).get().close()
        }
        var listeners: [Channel] = []
        var port = self.configuration.port
        do {
            for loop in loops {
                let channel = try await self.bootstrap(on: loop, reusePort: sharesPort, tlsContext: tlsContext)
                    .bind(host: self.configuration.host, port: port).get()
                listeners.append(channel)
                if port == 0 {
                    guard let bound = channel.localAddress?.port else {
                        throw WebSocketServerError(description: "the listening socket has no port")
                    }
                    port = bound
                }
            }
        } catch {
            for listener in listeners { try? await listener.close() }
            throw error
        }
        self.listeners.withLockedValue { $0 = listeners }
        self.logger.info("listening", metadata: [
            "host": "\(self.configuration.host)", "port": "\(port)", "listeners": "\(listeners.count)",
            "descriptor_ceiling": "\(self.ceiling.ceiling)",
        ])
        if !self.ceiling.isEnforced {
            self.logger.warning("no descriptor ceiling: /dev/null could not be opened, accepting pauses only on EMFILE")
        }
        return port
    }

    /// Closes the listening sockets; connections already accepted stay open.
    public func stopAccepting() async {
        let listeners = self.listeners.withLockedValue { listeners -> [Channel] in
            defer { listeners = [] }
            return listeners
        }
        for listener in listeners { try? await listener.close() }
    }

    /// A listener on `loop` whose connections stay on `loop`.
    private func bootstrap(on loop: EventLoop, reusePort: Bool, tlsContext: NIOSSLContext?) -> ServerBootstrap {
        let configuration = self.configuration
        let delegate = self.delegate
        let logger = self.logger
        let acceptFailed = self.acceptFailed
        let ceiling = self.ceiling
        return ServerBootstrap(group: loop)
            .serverChannelOption(.backlog, value: configuration.listenBacklog)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.socketOption(.init(rawValue: SO_REUSEPORT)), value: reusePort ? 1 : 0)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(
                        AcceptBackoff(backoff: configuration.acceptBackoff, acceptFailed: acceptFailed),
                        AcceptCeilingHandler(ceiling: ceiling))
                }
            }
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // Set here, in place, rather than as child channel options (a chain of futures per option).
                    try channel.syncOptions?.setOption(.tcpOption(.tcp_nodelay), value: 1)
                    try channel.syncOptions?.setOption(.recvAllocator, value: Self.receiveBuffers)
                    try Self.configurePipeline(
                        channel: channel, tlsContext: tlsContext, configuration: configuration,
                        delegate: delegate, logger: logger
                    )
                }
            }
    }

    /// NIO keeps each connection's last receive buffer for reuse, so its size is part of every idle
    /// connection's memory: start at 512 bytes (enough for most handshakes); busy sockets still grow
    /// theirs up to 64 KiB.
    private static let receiveBuffers = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65536)

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
