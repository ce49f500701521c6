/// Limits and rates of the live feeds (README "Limits and close codes"; `RALLY_*` settings in RallyServer).
public struct LiveSettings: Sendable {
    /// Capacity / event / plan updates per second per topic at most (latest value wins in between).
    public var retainedUpdatesPerSecond: Double = 5
    /// Most messages one replay returns (`broadcast.replay.limit` is clamped to it); Supabase allows 25.
    public var replayMaxMessages = 100
    /// Replay size when the join does not give a `limit`.
    public var replayDefaultMessages = 25
    /// Largest chat message body (UTF-8 bytes).
    public var maxMessageBodyBytes = 4000
    /// Largest chat message `metadata` (encoded JSON bytes).
    public var maxMessageMetadataBytes = 2048
    /// Chat messages per second per channel (burst `chatBurst`).
    public var chatPerSecond: Double = 5
    public var chatBurst = 10
    /// Typing indicators per second per channel (burst `typingBurst`); the rest are dropped.
    public var typingPerSecond: Double = 2
    public var typingBurst = 3
    /// Unread notifications sent on joining `user:<id>`.
    public var unreadOnJoin = 50
    /// Messages re-read per group after the change feed reconnected.
    public var resyncMaxMessages = 1000
    /// Authors whose friendships are cached for per-item filtering.
    public var relationshipCacheSize = 10_000
    /// Location sharing: precision, durations, rate.
    public var location = LocationSettings()

    public init() {}
}
