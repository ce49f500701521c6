// The application-facing side of a WebSocket: complete messages in, session events out.
import NIOCore
import NIOWebSocket

/// A complete (reassembled, decompressed, UTF-8-validated) WebSocket message.
public enum WebSocketMessage: Sendable, Equatable {
    case text(ByteBuffer)
    case binary(ByteBuffer)

    /// The message body.
    public var payload: ByteBuffer {
        switch self {
        case .text(let payload), .binary(let payload): return payload
        }
    }

    var opcode: UInt8 {
        switch self {
        case .text: return FrameOpcode.text
        case .binary: return FrameOpcode.binary
        }
    }
}

/// Receives one session's events, always on the session's event loop.
public protocol WebSocketSessionHandler: AnyObject {
    func sessionDidOpen(_ session: WebSocketSession)
    func session(_ session: WebSocketSession, didReceive message: WebSocketMessage)
    /// Called exactly once, when the socket is gone (closing handshake done, error, or local close).
    ///
    /// `code` is the close code the connection ended with: the peer's if it sent a close frame
    /// (1005 when that frame carried no code), otherwise the one this side sent (for example 1002
    /// after a protocol error, 1011 on idle timeout, 1013 for a slow consumer); nil when the TCP
    /// connection ended without any close frame.
    func sessionDidClose(_ session: WebSocketSession, code: WebSocketErrorCode?)
}

/// Echoes every message back as it came (text as text, binary as binary). Serves the `/echo`
/// endpoint and the Autobahn conformance run; message size is bounded by the server configuration
/// (`maxFrameSize`/`maxMessageSize`, e.g. 16 MiB for Autobahn).
public final class EchoSessionHandler: WebSocketSessionHandler {
    public init() {}

    public func sessionDidOpen(_ session: WebSocketSession) {}

    public func session(_ session: WebSocketSession, didReceive message: WebSocketMessage) {
        session.send(message)
    }

    public func sessionDidClose(_ session: WebSocketSession, code: WebSocketErrorCode?) {}
}

@available(*, unavailable)
extension EchoSessionHandler: Sendable {}
