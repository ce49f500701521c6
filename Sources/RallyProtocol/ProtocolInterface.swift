// INTERFACE CONTRACT (temporary file, split into real files by the protocol work).
// The hub and server are written against exactly these declarations.
import NIOCore

/// The serializer a socket negotiated with `vsn`.
public enum ProtocolVersion: Sendable, Hashable {
    case v1   // 1.0.0: JSON objects {topic, event, payload, ref, join_ref}
    case v2   // 2.0.0: JSON arrays [join_ref, ref, topic, event, payload] + binary kinds 3/4

    /// `nil`/absent → v1; "1.x.y" → v1; "2.x.y" → v2; anything else → nil (refuse the socket).
    public static func negotiate(vsn: String?) -> ProtocolVersion? { fatalError("protocol work") }
}

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
    public var joinRef: JSON?
    public var ref: JSON?
    public var topic: String
    public var userEvent: String
    public var metadata: JSON?
    public var payload: BroadcastPayload
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

public enum InboundDecoder {
    /// Decode a text frame for the socket's version.
    public static func decodeText(_ bytes: ByteBuffer, version: ProtocolVersion) -> Result<InboundFrame, ProtocolError> { fatalError("protocol work") }
    /// Decode a binary frame (v2 only: kind 0 push, kind 3 user broadcast).
    public static func decodeBinary(_ bytes: ByteBuffer, version: ProtocolVersion) -> Result<InboundFrame, ProtocolError> { fatalError("protocol work") }
}

/// A server→client push or reply, before serialization.
public struct OutboundMessage: Sendable, Equatable {
    public var joinRef: JSON?   // v2 only (v1 never sends join_ref)
    public var ref: JSON?       // serialized as null when nil (v1 must always carry "ref")
    public var topic: String
    public var event: String
    public var payload: JSON
    public init(joinRef: JSON?, ref: JSON?, topic: String, event: String, payload: JSON) {
        self.joinRef = joinRef; self.ref = ref; self.topic = topic; self.event = event; self.payload = payload
    }
}

/// An encoded frame ready for the transport.
public struct EncodedFrame: Sendable, Equatable {
    public var isBinary: Bool
    public var bytes: ByteBuffer
    public init(isBinary: Bool, bytes: ByteBuffer) { self.isBinary = isBinary; self.bytes = bytes }
}

public enum OutboundEncoder {
    public static func encode(_ message: OutboundMessage, version: ProtocolVersion) -> EncodedFrame { fatalError("protocol work") }
}

/// A broadcast as it is fanned out to a topic. Encoded once per serializer version.
public struct BroadcastEnvelope: Sendable, Equatable {
    public var topic: String          // full topic, e.g. "realtime:room1"
    public var event: String          // the user event name
    public var payload: BroadcastPayload
    /// e.g. {"id": "...", "replayed": true}; nil for none.
    public var meta: JSON?
    /// True when it came as a binary kind-3 push or from a source that v2 clients receive as kind 4.
    public var preferBinary: Bool
    public init(topic: String, event: String, payload: BroadcastPayload, meta: JSON? = nil, preferBinary: Bool) {
        self.topic = topic; self.event = event; self.payload = payload; self.meta = meta; self.preferBinary = preferBinary
    }

    /// v1 text frame `{"topic","event":"broadcast","payload":{"type":"broadcast","event","payload","meta"?},"ref":null}`;
    /// nil for a binary payload (v1 subscribers skip it).
    public func encodeV1() -> EncodedFrame? { fatalError("protocol work") }
    /// v2: kind 4 binary when `preferBinary` or the payload is binary, else the text array form.
    public func encodeV2() -> EncodedFrame { fatalError("protocol work") }
}

/// Parsed `phx_join` payload (invalid parts fall back to defaults, never rejected).
public struct JoinConfig: Sendable, Equatable {
    public var broadcastSelf = false
    public var broadcastAck = false
    public var presenceEnabled = false
    public var presenceKey: String? = nil        // nil or "" → server picks a random key
    public var isPrivate = false
    /// The client's postgres_changes entries exactly as sent (echoed in the join reply with an `id`).
    public var postgresChanges: [JSONObject] = []
    /// `access_token` or legacy `user_token`; nil when absent, null or an `sb_…` key.
    public var accessToken: String? = nil
    /// True when the payload had a `config` key (else: legacy API).
    public var hasConfig = false
    /// `broadcast.replay` {since, limit} when given.
    public var replaySince: Int64? = nil
    public var replayLimit: Int? = nil
    public init() {}

    public static func parse(_ payload: JSON) -> JoinConfig { fatalError("protocol work") }
}

/// The exact reply and push payloads supabase/realtime sends.
public enum Replies {
    /// {"status":"ok","response":<response>}
    public static func ok(_ response: JSON = .emptyObject) -> JSON { fatalError("protocol work") }
    /// {"status":"error","response":{"reason":<reason>}}
    public static func error(reason: String) -> JSON { fatalError("protocol work") }
    /// Join ok: {"status":"ok","response":{"postgres_changes":[<entry + "id">...]}}
    public static func joinOK(postgresChanges: [JSONObject]) -> JSON { fatalError("protocol work") }
    /// {"extension":"system","status":<ok|error>,"message":<message>,"channel":<subtopic>}
    public static func system(ok: Bool, message: String, channel: String, extension: String = "system") -> JSON { fatalError("protocol work") }
    /// Deterministic non-negative id < 2^27 for one postgres_changes params object.
    public static func postgresChangesID(_ params: JSONObject) -> Int { fatalError("protocol work") }
}
