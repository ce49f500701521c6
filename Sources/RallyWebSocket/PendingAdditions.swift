// TEMPORARY: declarations the server uses that the transport work provides; reconciled at merge.
import NIOCore
import NIOWebSocket

public final class EchoSessionHandler: WebSocketSessionHandler {
    public init() {}
    public func sessionDidOpen(_ session: WebSocketSession) {}
    public func session(_ session: WebSocketSession, didReceive message: WebSocketMessage) { session.send(message) }
    public func sessionDidClose(_ session: WebSocketSession, code: WebSocketErrorCode?) {}
}

extension SharedFrame {
    public var isBinary: Bool { fatalError("transport work") }
    public var payload: ByteBuffer { fatalError("transport work") }
}
