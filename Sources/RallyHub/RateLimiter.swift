import NIOCore

/// A token bucket: `burst` tokens, refilled at `ratePerSecond`. Pure: the caller passes the current time, so tests
/// need no clock and no sleeps.
public struct TokenBucket: Sendable {
    public let burst: Double
    public let ratePerSecond: Double
    private var tokens: Double
    private var lastRefill: NIODeadline

    public init(burst: Int, ratePerSecond: Double, now: NIODeadline) {
        self.burst = Double(burst)
        self.ratePerSecond = ratePerSecond
        self.tokens = Double(burst)
        self.lastRefill = now
    }

    /// Takes one token if there is one.
    public mutating func tryTake(now: NIODeadline) -> Bool {
        refill(now: now)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    private mutating func refill(now: NIODeadline) {
        guard now > lastRefill else { return }
        let elapsed = Double((now - lastRefill).nanoseconds) / 1_000_000_000
        tokens = min(burst, tokens + elapsed * ratePerSecond)
        lastRefill = now
    }
}

/// At most `limit` calls in any window of `window` (Supabase's client presence limit: 5 per 30 s).
public struct SlidingWindowCounter: Sendable {
    public let limit: Int
    public let window: TimeAmount
    private var calls: [NIODeadline] = []

    public init(limit: Int, window: TimeAmount) {
        self.limit = limit
        self.window = window
    }

    public mutating func tryRecord(now: NIODeadline) -> Bool {
        let horizon = now - window
        calls.removeAll { $0 <= horizon }
        guard calls.count < limit else { return false }
        calls.append(now)
        return true
    }
}
