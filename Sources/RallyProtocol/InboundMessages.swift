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
    /// A broadcast's user payload (`payload.payload`) kept as it came, when
    /// `InboundDecoder.decodeTextKeepingUserPayload` found it in compact form; `payload` then holds `null` in its
    /// place. Nil otherwise.
    public var userPayloadText: CompactJSONText?
    public init(joinRef: JSON?, ref: JSON?, topic: String, event: String, payload: JSON,
                userPayloadText: CompactJSONText? = nil) {
        self.joinRef = joinRef; self.ref = ref; self.topic = topic; self.event = event; self.payload = payload
        self.userPayloadText = userPayloadText
    }
}

/// The user payload of a broadcast: JSON (as a tree, or as the compact text a client sent), or opaque bytes (v2
/// binary broadcasts, encoding 0). The two JSON forms of one value are equal.
public enum BroadcastPayload: Sendable, Equatable {
    case json(JSON)
    /// JSON kept as its compact text: written out as it came, parsed only when something looks inside.
    case jsonText(CompactJSONText)
    case binary(ByteBuffer)

    /// The JSON value (the text parsed); nil for a binary payload.
    public var jsonValue: JSON? {
        switch self {
        case .json(let value): return value
        case .jsonText(let text): return text.value
        case .binary: return nil
        }
    }

    /// The same payload with JSON as a tree, for code that looks inside it (the live feeds' checks).
    public var withTree: BroadcastPayload {
        if case .jsonText(let text) = self { return .json(text.value) }
        return self
    }

    public static func == (lhs: BroadcastPayload, rhs: BroadcastPayload) -> Bool {
        switch (lhs, rhs) {
        case (.binary(let left), .binary(let right)): return left == right
        case (.jsonText(let left), .jsonText(let right)): return left.bytes == right.bytes
        case (.binary, _), (_, .binary): return false
        default: return lhs.jsonValue == rhs.jsonValue
        }
    }
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
