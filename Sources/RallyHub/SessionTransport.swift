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

/// Close codes Rally sends. Every client reconnects on 1011/1012/1013 (ANCHORS §3.5); 1008 is used only where a
/// reconnect would be refused again anyway.
public enum RallyCloseCode {
    /// Graceful drain on shutdown: "Service Restart".
    public static let serviceRestart = WebSocketErrorCode(codeNumber: 1012)
    /// Slow consumer (outbound queue over its byte bound), or the server is over capacity: "Try Again Later".
    public static let tryAgainLater = WebSocketErrorCode(codeNumber: 1013)
    /// Protocol abuse the socket cannot recover from (e.g. flooding past the hard limit): "Policy Violation".
    public static let policyViolation = WebSocketErrorCode.policyViolation
}
