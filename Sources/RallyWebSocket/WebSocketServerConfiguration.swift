// Limits and options of the listener; every default is documented where it is declared.
import NIOCore

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
    /// Time allowed from TCP accept to a complete HTTP request head (seconds); also the time an
    /// idle keep-alive connection may wait for its next request.
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
