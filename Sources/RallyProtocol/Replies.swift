import NIOCore

/// The exact reply and push payloads supabase/realtime sends.
public enum Replies {
    /// {"status":"ok","response":<response>}
    public static func ok(_ response: JSON = .emptyObject) -> JSON {
        .object(["status": .string("ok"), "response": response])
    }

    /// {"status":"error","response":{"reason":<reason>}}
    public static func error(reason: String) -> JSON {
        error(response: ["reason": .string(reason)])
    }

    /// {"status":"error","response":<response>}; Realtime answers a denied presence call with a bare `{}`.
    public static func error(response: JSONObject) -> JSON {
        .object(["status": .string("error"), "response": .object(response)])
    }

    /// {"status":"error","response":{}}: Realtime's answer to a denied or unknown presence call.
    public static func errorWithoutReason() -> JSON {
        error(response: JSONObject())
    }

    /// Join ok: {"status":"ok","response":{"postgres_changes":[<entry + "id">...]}}
    ///
    /// Each entry is the client's object in request order with `"id"` set to `postgresChangesID(entry)`
    /// (replacing an `id` the client may have sent). The array is present even when empty.
    public static func joinOK(postgresChanges: [JSONObject]) -> JSON {
        let entries = postgresChanges.map { params -> JSON in
            var entry = params
            entry["id"] = .int(postgresChangesID(params))
            return .object(entry)
        }
        return ok(.object(["postgres_changes": .array(entries)]))
    }

    /// {"extension":"system","status":<ok|error>,"message":<message>,"channel":<subtopic>}
    public static func system(ok: Bool, message: String, channel: String, extension: String = "system") -> JSON {
        .object([
            "extension": .string(`extension`),
            "status": .string(ok ? "ok" : "error"),
            "message": .string(message),
            "channel": .string(channel),
        ])
    }

    /// Deterministic non-negative id < 2^27 for one postgres_changes params object.
    ///
    /// FNV-1a 64 of the compact JSON of `params` with object keys sorted at every level, masked to
    /// 27 bits (the range of Erlang's `phash2/1`, which Realtime uses). Identical params (in any key
    /// order) give identical ids.
    public static func postgresChangesID(_ params: JSONObject) -> Int {
        let canonical = JSON.object(params).sortingObjectKeys()
        let bytes = canonical.serializedBuffer()
        let hash = FNV1a64.hash(bytes.readableBytesView)
        return Int(hash & ((1 << 27) - 1))
    }
}

extension JSON {
    /// The same value with every object's fields sorted by key (stable for duplicate keys).
    func sortingObjectKeys() -> JSON {
        switch self {
        case .array(let elements):
            return .array(elements.map { $0.sortingObjectKeys() })
        case .object(let object):
            let sorted = object.fields
                .map { JSONObject.Field(key: $0.key, value: $0.value.sortingObjectKeys()) }
                .enumerated()
                .sorted { ($0.element.key, $0.offset) < ($1.element.key, $1.offset) }
                .map(\.element)
            return .object(JSONObject(sorted))
        default:
            return self
        }
    }
}

/// Event and topic names of the Phoenix / Supabase Realtime protocol.
public enum PhoenixEvent {
    public static let join = "phx_join"
    public static let leave = "phx_leave"
    public static let reply = "phx_reply"
    public static let close = "phx_close"
    public static let error = "phx_error"
    public static let heartbeat = "heartbeat"
    public static let accessToken = "access_token"
    public static let broadcast = "broadcast"
    public static let presence = "presence"
    public static let presenceState = "presence_state"
    public static let presenceDiff = "presence_diff"
    public static let system = "system"
    public static let postgresChanges = "postgres_changes"
    /// The topic heartbeats are sent on.
    public static let heartbeatTopic = "phoenix"
}
