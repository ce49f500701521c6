import NIOCore

/// At most one "yes" per interval: logs of what can repeat at message rate (malformed messages, failed
/// publishes) say it once in a while instead of flooding. A value type: keep it where its owner's state is kept.
public struct Throttle: Sendable {
    public let interval: TimeAmount
    private var last: NIODeadline?

    public init(interval: TimeAmount = .seconds(1)) {
        self.interval = interval
    }

    /// True when nothing was allowed within the last `interval` (and then counts this one).
    public mutating func allow(now: NIODeadline = .now()) -> Bool {
        if let last, now - last <= interval { return false }
        last = now
        return true
    }
}
