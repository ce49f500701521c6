import NIOCore
import RallyProtocol

/// One message from a Rally (Phoenix/Supabase Realtime) server, whatever its framing:
/// a v1 JSON object, a v2 JSON array, or a v2 binary kind-4 user broadcast.
public struct ServerEvent: Sendable, Equatable {
    /// The frame it arrived in.
    public enum Framing: Sendable, Equatable {
        case v1Object
        case v2Array
        /// Binary kind 4 (user broadcast); `event` is "broadcast" as realtime-js reports it.
        case binaryUserBroadcast
    }

    /// `join_ref` as sent: nil when absent (v1 never sends it), `.null` when null.
    public var joinRef: JSON?
    /// `ref` as sent: nil when absent, `.null` when null (pushes), the client's ref in replies.
    public var ref: JSON?
    public var topic: String
    public var event: String
    /// The payload. For kind 4 it is realtime-js's shape:
    /// `{"type":"broadcast","event":<user event>,"payload":<JSON>,"meta":<metadata>?}`; for a binary
    /// user payload (encoding 0) the `"payload"` key is absent and the bytes are in `binaryPayload`.
    public var payload: JSON
    public var binaryPayload: ByteBuffer?
    public var framing: Framing

    public init(
        joinRef: JSON?, ref: JSON?, topic: String, event: String, payload: JSON,
        binaryPayload: ByteBuffer? = nil, framing: Framing
    ) {
        self.joinRef = joinRef
        self.ref = ref
        self.topic = topic
        self.event = event
        self.payload = payload
        self.binaryPayload = binaryPayload
        self.framing = framing
    }

    /// The ref when it is a string (the form this client sends).
    public var refString: String? { ref?.stringValue }
    public var joinRefString: String? { joinRef?.stringValue }

    public var isReply: Bool { event == "phx_reply" }
    /// `payload.status` of a reply ("ok" / "error").
    public var replyStatus: String? { payload["status"]?.stringValue }
    /// `payload.response` of a reply.
    public var replyResponse: JSON? { payload["response"] }

    /// The user event name of a broadcast (`payload.event`).
    public var broadcastEvent: String? { event == "broadcast" ? payload["event"]?.stringValue : nil }

    /// The user payload of a broadcast: the bytes of a binary kind 4, else `payload.payload`.
    public var broadcastPayload: BroadcastPayload? {
        guard event == "broadcast" else { return nil }
        if let binaryPayload { return .binary(binaryPayload) }
        return payload["payload"].map { .json($0) }
    }
}

/// A phx_reply: `{"status": …, "response": …}`.
public struct Reply: Sendable, Equatable {
    public var status: String
    public var response: JSON
    /// The whole event the reply came in (topic, refs, framing).
    public var event: ServerEvent

    public init(event: ServerEvent) {
        self.status = event.replyStatus ?? ""
        self.response = event.replyResponse ?? .null
        self.event = event
    }

    public var isOK: Bool { status == "ok" }
    /// `response.reason` of an error reply (e.g. "unmatched topic").
    public var reason: String? { response["reason"]?.stringValue }
}
