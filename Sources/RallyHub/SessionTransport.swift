import NIOCore
import NIOWebSocket
import RallyProtocol
import RallyWebSocket

/// What the hub needs from a socket: the transport's `WebSocketSession` in production, a recording fake in tests.
/// Every call happens on `eventLoop`.
public protocol SessionTransport: AnyObject {
    var eventLoop: EventLoop { get }
    func send(_ message: WebSocketMessage)
    func send(_ frame: SharedFrame)
    func close(code: WebSocketErrorCode, reason: String)
    /// Closes the TCP connection at once, without a closing handshake (shutdown past the drain's bound).
    func abort()
}

extension WebSocketSession: SessionTransport {}

extension SessionTransport {
    public func abort() {}

    /// Send one encoded protocol frame (replies and channel pushes: never shared, encoded per socket).
    func send(_ frame: EncodedFrame) {
        send(frame.isBinary ? .binary(frame.bytes) : .text(frame.bytes))
    }
}
