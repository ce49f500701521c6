// The application behind the HTTP listener (plain requests and WebSocket upgrade decisions), and the
// classification of a request head as a plain request, a valid RFC 6455 §4.2.1 opening handshake, or
// a broken one (answered with 400, or 426 for an unsupported Sec-WebSocket-Version).
import NIOCore
import NIOHTTP1

public struct HTTPRequest: Sendable {
    public var head: HTTPRequestHead
    public var body: ByteBuffer
    public var remoteAddress: SocketAddress?
    public init(head: HTTPRequestHead, body: ByteBuffer, remoteAddress: SocketAddress?) {
        self.head = head
        self.body = body
        self.remoteAddress = remoteAddress
    }
}

public struct HTTPResponse: Sendable {
    public var status: HTTPResponseStatus
    public var headers: HTTPHeaders
    public var body: ByteBuffer
    public init(status: HTTPResponseStatus, headers: HTTPHeaders = [:], body: ByteBuffer = ByteBuffer()) {
        self.status = status
        self.headers = headers
        self.body = body
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

/// What a request head asks for.
enum UpgradeRequestCheck: Equatable {
    /// No `Upgrade: websocket`: an ordinary HTTP request.
    case notWebSocket
    /// A well-formed opening handshake with this Sec-WebSocket-Key.
    case valid(key: String)
    /// An opening handshake that must be refused with this response (the connection then closes).
    case invalid(status: HTTPResponseStatus, headers: HTTPHeaders, reason: String)

    init(_ head: HTTPRequestHead) {
        let headers = head.headers
        guard headers[canonicalForm: "upgrade"].contains(where: { $0.lowercased() == "websocket" }) else {
            self = .notWebSocket
            return
        }
        guard head.method == .GET else {
            self = .badRequest("a WebSocket handshake must be a GET request")
            return
        }
        guard head.version.major > 1 || (head.version.major == 1 && head.version.minor >= 1) else {
            self = .badRequest("a WebSocket handshake needs HTTP/1.1")
            return
        }
        guard headers[canonicalForm: "connection"].contains(where: { $0.lowercased() == "upgrade" }) else {
            self = .badRequest("a WebSocket handshake needs Connection: Upgrade")
            return
        }
        guard headers["sec-websocket-version"] == ["13"] else {
            self = .invalid(
                status: .upgradeRequired, headers: ["Sec-WebSocket-Version": "13"],
                reason: "unsupported Sec-WebSocket-Version (only 13 is supported)"
            )
            return
        }
        let keys = headers["sec-websocket-key"]
        guard keys.count == 1, let key = keys.first, HandshakeDigest.isValidKey(key) else {
            self = .badRequest("missing or malformed Sec-WebSocket-Key")
            return
        }
        self = .valid(key: key)
    }

    private static func badRequest(_ reason: String) -> UpgradeRequestCheck {
        .invalid(status: .badRequest, headers: [:], reason: reason)
    }

    /// The refusal as a response carrying the reason as its plain-text body.
    var refusal: HTTPResponse? {
        guard case .invalid(let status, var headers, let reason) = self else { return nil }
        headers.replaceOrAdd(name: "Content-Type", value: "text/plain; charset=utf-8")
        return HTTPResponse(status: status, headers: headers, body: ByteBuffer(string: reason + "\n"))
    }
}

enum SwitchingProtocolsResponse {
    /// The 101 response head completing the handshake.
    static func head(key: String, extensions: String?, extraHeaders: HTTPHeaders) -> HTTPResponseHead {
        var headers: HTTPHeaders = [
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Accept": HandshakeDigest.acceptValue(forKey: key),
        ]
        if let extensions { headers.add(name: "Sec-WebSocket-Extensions", value: extensions) }
        headers.add(contentsOf: extraHeaders)
        return HTTPResponseHead(version: .http1_1, status: .switchingProtocols, headers: headers)
    }

    /// `head` as the bytes NIO's `HTTPResponseEncoder` writes for it (a 101 has no body, so no framing header is
    /// added), written directly: the handshake's last HTTP write needs no encoder in the pipeline.
    static func bytes(key: String, extensions: String?, extraHeaders: HTTPHeaders,
                      allocator: ByteBufferAllocator) -> ByteBuffer {
        let head = Self.head(key: key, extensions: extensions, extraHeaders: extraHeaders)
        var buffer = allocator.buffer(capacity: 160)
        buffer.writeStaticString("HTTP/1.1 101 Switching Protocols\r\n")
        for (name, value) in head.headers {
            buffer.writeString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
        buffer.writeStaticString("\r\n")
        return buffer
    }
}
