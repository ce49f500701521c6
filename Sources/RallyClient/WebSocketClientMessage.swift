import NIOCore

/// One complete (reassembled) data message from the server.
public struct WebSocketClientMessage: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case text, binary }

    public var kind: Kind
    /// The message bytes (unmasked, all fragments joined).
    public var data: ByteBuffer

    public init(kind: Kind, data: ByteBuffer) {
        self.kind = kind
        self.data = data
    }

    public var isText: Bool { kind == .text }
    /// The bytes decoded as UTF-8 (lossy for invalid input).
    public var text: String { String(buffer: data) }
}

/// How a connection ended: the close code and reason the server sent (nil code when the TCP
/// connection dropped without a close frame, or the close frame had no code).
public struct WebSocketCloseInfo: Sendable, Equatable, CustomStringConvertible {
    public var code: UInt16?
    public var reason: String
    /// True when a close frame was received from the server.
    public var receivedCloseFrame: Bool

    public init(code: UInt16?, reason: String, receivedCloseFrame: Bool) {
        self.code = code
        self.reason = reason
        self.receivedCloseFrame = receivedCloseFrame
    }

    public static let abrupt = WebSocketCloseInfo(code: nil, reason: "", receivedCloseFrame: false)

    public var description: String {
        receivedCloseFrame ? "close \(code.map(String.init) ?? "-") \(reason)" : "dropped without close frame"
    }
}

/// Where inbound messages go. Chosen at connect time so no message can arrive before a consumer exists.
public enum WebSocketInbound: Sendable {
    /// Called on the connection's event loop for every message. Keep it cheap: it runs inline with reading.
    case callback(@Sendable (WebSocketClientMessage) -> Void)
    /// Messages are buffered (unbounded) into `WebSocketConnection.messages`.
    case stream
}
