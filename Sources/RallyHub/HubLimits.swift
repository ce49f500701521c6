import NIOCore

/// Per-socket limits of the hub. Every default is documented in README.md ("Limits and close codes").
public struct HubLimits: Sendable {
    /// Largest message a client may send on a realtime socket (bytes) → close 1009. The transport enforces its own,
    /// possibly larger, bound for every endpoint.
    public var maxMessageBytes = 1024 * 1024
    /// Channels one socket may have joined at once (`ChannelRateLimitReached: Too many channels`).
    public var maxChannelsPerSocket = 100
    /// Joins per second per socket, as a token bucket of this burst and rate
    /// (`ClientJoinRateLimitReached: Too many joins per second`).
    public var joinsPerSecond = 10
    /// Client messages (broadcast, presence, access_token, unknown) per second per socket, sustained
    /// (`RateLimited: Too many messages per second`). `service_role` sockets are exempt.
    public var messagesPerSecond = 25
    /// Burst allowance on top of `messagesPerSecond`.
    public var messageBurst = 100
    /// Writes per user per window across all the user's sockets and all nodes (0: none; the seeds suggest 100 per
    /// minute) → `RateLimited: Too many messages per minute for this user`.
    public var userRate = UserRateLimit()
    /// Presence calls per socket and window (Supabase: 5 per 30 s) → system error and channel closed.
    public var presenceCallsPerWindow = 10
    public var presenceWindow: TimeAmount = .seconds(10)
    /// Largest presence meta, as encoded JSON (bytes) → `Track message size exceeded`, channel closed.
    public var maxPresenceMetaBytes = 4096
    /// Longest topic name after `realtime:` (UTF-8 bytes) → join error `TopicNameTooLong`.
    public var maxTopicBytes = 255
    /// Largest `phx_join` message (bytes: config and access token included) → join error `JoinPayloadTooLarge`.
    public var maxJoinBytes = 16 * 1024
    /// Longest presence key (`config.presence.key`, UTF-8 bytes) → join error `PresenceKeyTooLong`.
    public var maxPresenceKeyBytes = 256
    /// Largest broadcast user payload (bytes) → error reply `payload_size_exceeded`.
    public var maxBroadcastPayloadBytes = 256 * 1024
    /// Live messages held for one channel while its join backlog (history, unread notifications) is read;
    /// past it the oldest are dropped and the client gets a `system` error asking it to rejoin.
    public var maxHeldMessages = 1000
    /// Delay before a join error reply, damping client retry loops (Supabase: 5 s).
    public var joinErrorDelay: TimeAmount = .seconds(5)
    /// Sockets closed per drain batch, and the pause between batches.
    public var drainBatchSize = 1000
    public var drainBatchInterval: TimeAmount = .milliseconds(100)

    public init() {}
}
