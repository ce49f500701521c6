import NIOCore

/// A decoded client→server Phoenix message (text frame in v1 or v2, or binary kind 0).
public struct PhoenixMessage: Sendable, Equatable {
    /// `nil` when absent or JSON null.
    public var joinRef: JSON?
    /// Echoed back verbatim in replies; `nil` when absent or null (realtime-py heartbeats).
    public var ref: JSON?
    public var topic: String
    public var event: String
    public var payload: JSON
    public init(joinRef: JSON?, ref: JSON?, topic: String, event: String, payload: JSON) {
        self.joinRef = joinRef; self.ref = ref; self.topic = topic; self.event = event; self.payload = payload
    }
}

/// The user payload of a broadcast: JSON, or opaque bytes (v2 binary broadcasts, encoding 0).
public enum BroadcastPayload: Sendable, Equatable {
    case json(JSON)
    case binary(ByteBuffer)
}

/// A client's binary kind-3 "user broadcast push".
public struct UserBroadcastPush: Sendable, Equatable {
    /// `nil` when the header's join_ref was empty.
    public var joinRef: JSON?
    /// `nil` when the header's ref was empty.
    public var ref: JSON?
    public var topic: String
    public var userEvent: String
    /// Parsed metadata JSON; `nil` when the metadata length was 0.
    public var metadata: JSON?
    public var payload: BroadcastPayload

    public init(joinRef: JSON?, ref: JSON?, topic: String, userEvent: String, metadata: JSON?, payload: BroadcastPayload) {
        self.joinRef = joinRef; self.ref = ref; self.topic = topic
        self.userEvent = userEvent; self.metadata = metadata; self.payload = payload
    }
}

public enum InboundFrame: Sendable, Equatable {
    case message(PhoenixMessage)
    case userBroadcast(UserBroadcastPush)
}

/// Why a frame could not be decoded. The socket stays open; the frame is dropped (as Phoenix does).
public struct ProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
