import NIOCore

/// How many writes (broadcasts, presence, token refreshes — what the per-socket message limit counts) one user may
/// make per window across all their sockets and all nodes. 0: no such limit.
public struct UserRateLimit: Sendable {
    public var perWindow = 0
    public var window: TimeAmount = .seconds(60)
    /// How often each event loop adds what it admitted to the shared counters and learns the totals.
    public var syncInterval: TimeAmount = .milliseconds(250)

    public init() {}
}
