import NIOCore

/// A token bucket: `burst` tokens, refilled at `ratePerSecond`. Pure: the caller passes the current time, so tests
/// need no clock and no sleeps.
public struct TokenBucket: Sendable {
    public let burst: Double
    public let ratePerSecond: Double
    private var level: TokenLevel

    public init(burst: Int, ratePerSecond: Double, now: NIODeadline) {
        self.burst = Double(burst)
        self.ratePerSecond = ratePerSecond
        self.level = TokenLevel(full: burst, now: now)
    }

    /// Takes one token if there is one.
    public mutating func tryTake(now: NIODeadline) -> Bool {
        level.tryTake(burst: burst, ratePerSecond: ratePerSecond, now: now)
    }
}

/// What a `TokenBucket` holds besides its burst and rate (16 bytes instead of 32): for the buckets every socket has,
/// whose burst and rate are the node's limits and are passed on each take.
public struct TokenLevel: Sendable {
    private var tokens: Double
    private var lastRefill: NIODeadline

    /// A full bucket of `burst` tokens.
    public init(full burst: Int, now: NIODeadline) {
        self.tokens = Double(burst)
        self.lastRefill = now
    }

    /// Takes one token if there is one, after refilling at `ratePerSecond` up to `burst`.
    public mutating func tryTake(burst: Double, ratePerSecond: Double, now: NIODeadline) -> Bool {
        refill(burst: burst, ratePerSecond: ratePerSecond, now: now)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    private mutating func refill(burst: Double, ratePerSecond: Double, now: NIODeadline) {
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
    private var calls = CallWindow()

    public init(limit: Int, window: TimeAmount) {
        self.limit = limit
        self.window = window
    }

    public mutating func tryRecord(now: NIODeadline) -> Bool {
        calls.tryRecord(limit: limit, window: window, now: now)
    }
}

/// What a `SlidingWindowCounter` holds besides its limit and window (8 bytes instead of 24), for the counter every
/// socket has, whose limit and window are the node's and are passed on each call.
public struct CallWindow: Sendable {
    private var calls: [NIODeadline] = []

    public init() {}

    /// Records a call at `now` unless `limit` calls were recorded within the last `window`.
    public mutating func tryRecord(limit: Int, window: TimeAmount, now: NIODeadline) -> Bool {
        let horizon = now - window
        calls.removeAll { $0 <= horizon }
        guard calls.count < limit else { return false }
        calls.append(now)
        return true
    }
}
