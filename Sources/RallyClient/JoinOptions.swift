import NIOCore
import RallyProtocol

/// The `config` of a `phx_join`, as realtime-js builds it.
public struct JoinOptions: Sendable, Equatable {
    public var broadcastSelf = false
    public var broadcastAck = false
    public var presenceEnabled = false
    /// Presence key; "" lets the server pick one.
    public var presenceKey = ""
    public var isPrivate = false
    /// postgres_changes entries, each e.g. `{"event":"*","schema":"public","table":"messages"}`.
    public var postgresChanges: [JSON] = []
    /// `access_token` in the join payload. nil: the connection's current token (when
    /// `RealtimeOptions.sendAccessTokenOnJoin`), else none.
    public var accessToken: String? = nil
    /// `broadcast.replay` {since, limit}, when set.
    public var replay: (since: Int64, limit: Int)? = nil

    public init(
        broadcastSelf: Bool = false, broadcastAck: Bool = false, presenceEnabled: Bool = false,
        presenceKey: String = "", isPrivate: Bool = false, postgresChanges: [JSON] = [], accessToken: String? = nil
    ) {
        self.broadcastSelf = broadcastSelf
        self.broadcastAck = broadcastAck
        self.presenceEnabled = presenceEnabled
        self.presenceKey = presenceKey
        self.isPrivate = isPrivate
        self.postgresChanges = postgresChanges
        self.accessToken = accessToken
    }

    public static func == (lhs: JoinOptions, rhs: JoinOptions) -> Bool {
        lhs.payload(token: nil) == rhs.payload(token: nil) && lhs.accessToken == rhs.accessToken
    }

    /// The `phx_join` payload: `{"config":{broadcast, presence, postgres_changes, private}, "access_token"?}`.
    public func payload(token: String?) -> JSON {
        var broadcast: JSONObject = ["ack": .bool(broadcastAck), "self": .bool(broadcastSelf)]
        if let replay {
            broadcast["replay"] = .object(["since": .number(String(replay.since)), "limit": .int(replay.limit)])
        }
        let config: JSONObject = [
            "broadcast": .object(broadcast),
            "presence": .object(["enabled": .bool(presenceEnabled), "key": .string(presenceKey)]),
            "postgres_changes": .array(postgresChanges),
            "private": .bool(isPrivate),
        ]
        var payload: JSONObject = ["config": .object(config)]
        if let token = accessToken ?? token { payload["access_token"] = .string(token) }
        return .object(payload)
    }
}

/// How a `RealtimeConnection` behaves.
public struct RealtimeOptions: Sendable {
    /// WebSocket settings (headers, local address, sizes).
    public var webSocket = WebSocketClientConfiguration()
    /// How long join/leave/heartbeat/acked pushes wait for their phx_reply.
    public var replyTimeout: TimeAmount = .seconds(10)
    /// Send a heartbeat this often (replies are swallowed); nil sends none.
    public var heartbeatInterval: TimeAmount? = nil
    /// Put the connection's current token (initially the apikey) into joins that set none.
    public var sendAccessTokenOnJoin = true
    /// Runs on the event loop before decoding; returning true consumes the frame. The load
    /// generator uses it to read its stamps without a JSON parse.
    public var frameFilter: (@Sendable (WebSocketClientMessage) -> Bool)? = nil

    public init() {}
}

/// Where server events go (replies to this client's own requests are consumed by their callers).
public enum RealtimeInbound: Sendable {
    /// Called on the connection's event loop.
    case callback(@Sendable (ServerEvent) -> Void)
    /// Buffered into `RealtimeConnection.events`.
    case stream
}
