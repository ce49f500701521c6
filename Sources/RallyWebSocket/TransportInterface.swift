// INTERFACE CONTRACT (temporary file, split into real files by the transport work).
// The hub and server are written against exactly these declarations.
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// A complete (reassembled, decompressed, UTF-8-validated) WebSocket message.
public enum WebSocketMessage: Sendable, Equatable {
    case text(ByteBuffer)
    case binary(ByteBuffer)
}

/// Receives one session's events, always on the session's event loop.
public protocol WebSocketSessionHandler: AnyObject {
    func sessionDidOpen(_ session: WebSocketSession)
    func session(_ session: WebSocketSession, didReceive message: WebSocketMessage)
    /// Called exactly once, when the socket is gone (closing handshake done, error, or local close).
    func sessionDidClose(_ session: WebSocketSession, code: WebSocketErrorCode?)
}

/// Negotiated permessage-deflate parameters (RFC 7692) of one session; also the key under which a
/// shared frame's compressed bytes are cached.
public struct DeflateParameters: Sendable, Hashable {
    public var serverNoContextTakeover: Bool
    public var clientNoContextTakeover: Bool
    public var serverMaxWindowBits: Int
    public var clientMaxWindowBits: Int
}

/// One message encoded to wire bytes once and sent to many sessions. Sessions that negotiated the same
/// deflate parameters (with server_no_context_takeover) share one compressed copy.
public final class SharedFrame: @unchecked Sendable {
    public init(isBinary: Bool, payload: ByteBuffer) { fatalError("transport work") }
    public var payloadByteCount: Int { fatalError("transport work") }
}

/// The server side of one upgraded WebSocket. Confined to `eventLoop`: call its methods there only.
public final class WebSocketSession {
    public let eventLoop: EventLoop
    public let remoteAddress: SocketAddress?
    init(eventLoop: EventLoop, remoteAddress: SocketAddress?) { self.eventLoop = eventLoop; self.remoteAddress = remoteAddress }

    public var deflate: DeflateParameters? { fatalError("transport work") }
    /// Bytes accepted by `send` and not yet written to the socket.
    public var queuedOutboundBytes: Int { fatalError("transport work") }
    public var isOpen: Bool { fatalError("transport work") }

    /// Queue one message. Never blocks; past the outbound bound the session is closed with 1013.
    public func send(_ message: WebSocketMessage) { fatalError("transport work") }
    public func send(_ frame: SharedFrame) { fatalError("transport work") }
    /// Start the closing handshake (close frame, then TCP close after a bounded wait).
    public func close(code: WebSocketErrorCode, reason: String) { fatalError("transport work") }
}

public struct HTTPRequest: Sendable {
    public var head: HTTPRequestHead
    public var body: ByteBuffer
    public var remoteAddress: SocketAddress?
    public init(head: HTTPRequestHead, body: ByteBuffer, remoteAddress: SocketAddress?) {
        self.head = head; self.body = body; self.remoteAddress = remoteAddress
    }
}

public struct HTTPResponse: Sendable {
    public var status: HTTPResponseStatus
    public var headers: HTTPHeaders
    public var body: ByteBuffer
    public init(status: HTTPResponseStatus, headers: HTTPHeaders = [:], body: ByteBuffer = ByteBuffer()) {
        self.status = status; self.headers = headers; self.body = body
    }
}

public enum UpgradeDecision {
    /// Upgrade; the handler receives the session's events. `extraHeaders` go into the 101 response.
    case upgrade(WebSocketSessionHandler, extraHeaders: HTTPHeaders = [:])
    /// Refuse with an ordinary HTTP response (e.g. 401 with a JSON body).
    case reject(HTTPResponse)
}

/// The application behind the server. Both calls happen on the connection's event loop.
public protocol HTTPServerDelegate: AnyObject, Sendable {
    /// A request asking for a WebSocket upgrade (valid RFC 6455 headers already checked).
    func upgradeDecision(for request: HTTPRequest, eventLoop: EventLoop) -> EventLoopFuture<UpgradeDecision>
    /// Any other request.
    func respond(to request: HTTPRequest, eventLoop: EventLoop) -> EventLoopFuture<HTTPResponse>
}

public struct WebSocketServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 4000
    /// Largest single frame payload accepted (bytes). Larger → close 1009.
    public var maxFrameSize = 16 * 1024 * 1024
    /// Largest reassembled (and decompressed) message (bytes). Larger → close 1009.
    public var maxMessageSize = 16 * 1024 * 1024
    /// Outbound bytes queued per socket before it is closed as a slow consumer (1013).
    public var maxOutboundBytes = 1024 * 1024
    public var permessageDeflate = true
    /// Time allowed from TCP accept to a complete HTTP request head (seconds).
    public var handshakeTimeout: TimeAmount = .seconds(10)
    /// Time without any inbound frame before the socket is closed (seconds).
    public var idleTimeout: TimeAmount = .seconds(60)
    /// Largest HTTP request body accepted for plain requests (bytes). Larger → 413.
    public var maxHTTPBodySize = 1024 * 1024
    public var tls: TLSFiles? = nil
    public init() {}
}

public struct TLSFiles: Sendable {
    public var certificateChainPath: String
    public var privateKeyPath: String
    public init(certificateChainPath: String, privateKeyPath: String) {
        self.certificateChainPath = certificateChainPath; self.privateKeyPath = privateKeyPath
    }
}

/// The listening server. `start` binds and returns the bound port; `stopAccepting` closes the listener only.
public final class WebSocketServer: Sendable {
    public init(configuration: WebSocketServerConfiguration, group: EventLoopGroup, delegate: HTTPServerDelegate) { fatalError("transport work") }
    public func start() async throws -> Int { fatalError("transport work") }
    public func stopAccepting() async { fatalError("transport work") }
}
