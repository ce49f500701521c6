/// Parsed `phx_join` payload (invalid parts fall back to defaults, never rejected).
///
/// Accepted shape (supabase/realtime `phx_join.schema.json`):
/// `{"config": {"broadcast": {"self", "ack", "replay": {"since", "limit"}}, "presence": {"enabled", "key"},
///   "postgres_changes": [...], "private"}, "access_token": "...", "user_token": "..."}`.
/// Booleans may be `true`/`false` or the strings "true"/"false" in any case; `broadcast` and `presence`
/// may be null. A part with the wrong type keeps its default; unknown keys are ignored.
public struct JoinConfig: Sendable, Hashable {
    // Wider fields first (strings and arrays, optional integers, then flags): a channel keeps its config for as
    // long as it is joined, and this order leaves no padding between fields (88 bytes instead of 112).
    public var presenceKey: String? = nil        // nil or "" → server picks a random key
    /// The client's postgres_changes entries exactly as sent (echoed in the join reply with an `id`).
    public var postgresChanges: [JSONObject] = []
    /// `access_token` or legacy `user_token`; nil when absent, null or an `sb_…` key.
    public var accessToken: String? = nil
    /// `broadcast.replay` {since, limit} when given.
    public var replaySince: Int64? = nil
    public var replayLimit: Int? = nil
    /// Rally's addition to `broadcast.replay`: `after_id`, the last message id the client saw (number or string).
    public var replayAfterID: Int64? = nil
    public var broadcastSelf = false
    public var broadcastAck = false
    public var presenceEnabled = false
    public var isPrivate = false
    /// True when the payload had a `config` key (else: legacy API).
    public var hasConfig = false
    /// True when the join asked for a replay at all (`broadcast.replay` was an object).
    public var wantsReplay = false
    public init() {}

    public static func parse(_ payload: JSON) -> JoinConfig {
        var config = JoinConfig()
        guard case .object(let fields) = payload else { return config }
        config.accessToken = token(in: fields)
        guard let configValue = fields["config"] else { return config }
        config.hasConfig = true
        guard case .object(let settings) = configValue else { return config }
        config.readBroadcast(settings["broadcast"])
        config.readPresence(settings["presence"])
        config.isPrivate = flexibleBool(settings["private"]) ?? false
        config.postgresChanges = settings["postgres_changes"]?.arrayValue?.compactMap(\.objectValue) ?? []
        return config
    }

    // MARK: Parts

    private mutating func readBroadcast(_ value: JSON?) {
        guard let broadcast = value?.objectValue else { return }
        broadcastSelf = Self.flexibleBool(broadcast["self"]) ?? false
        broadcastAck = Self.flexibleBool(broadcast["ack"]) ?? false
        guard let replay = broadcast["replay"]?.objectValue else { return }
        wantsReplay = true
        replayAfterID = replay["after_id"].flatMap(Self.messageID)
        replaySince = replay["since"].flatMap(Self.integer).flatMap { Int64(exactly: $0) }
        replayLimit = replay["limit"].flatMap(Self.integer).flatMap { Int(exactly: $0) }
    }

    private mutating func readPresence(_ value: JSON?) {
        guard let presence = value?.objectValue else { return }
        presenceEnabled = Self.flexibleBool(presence["enabled"]) ?? false
        switch presence["key"] {
        case .string(let key)?: presenceKey = key
        case .number(let literal)?: presenceKey = literal
        default: presenceKey = nil
        }
    }

    /// `access_token` when it is a string, else `user_token`; `sb_…` API keys are not user tokens.
    private static func token(in payload: JSONObject) -> String? {
        let token = payload["access_token"]?.stringValue ?? payload["user_token"]?.stringValue
        guard let token, !token.hasPrefix("sb_") else { return nil }
        return token
    }

    // MARK: Lenient scalars

    /// `true`/`false`, or the strings "true"/"false" in any letter case (Realtime's `FlexibleBoolean`).
    static func flexibleBool(_ value: JSON?) -> Bool? {
        switch value {
        case .bool(let flag)?: return flag
        case .string(let text)?:
            switch text.lowercased() {
            case "true": return true
            case "false": return false
            default: return nil
            }
        default: return nil
        }
    }

    /// A message id: an integral number, or a string of digits (ids travel as strings in `meta.id`).
    static func messageID(_ value: JSON) -> Int64? {
        if case .string(let text) = value { return Int64(text) }
        return integer(value)
    }

    /// An integral JSON number ("10", "1e3" or "10.0" all count); nil for fractions and non-numbers.
    static func integer(_ value: JSON) -> Int64? {
        guard case .number(let literal) = value else { return nil }
        if let exact = Int64(literal) { return exact }
        guard let double = Double(literal), double.rounded() == double else { return nil }
        return Int64(exactly: double)
    }
}
