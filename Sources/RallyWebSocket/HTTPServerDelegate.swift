// The application behind the HTTP listener: plain requests and WebSocket upgrade decisions.
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
