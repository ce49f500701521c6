/// Latest-value coalescing per key (capacity of one event, a plan's status): a change asks for a refresh; at
/// most one refresh per key runs at a time, and refreshes of one key start at least `interval` apart. Changes
/// that arrive meanwhile are folded into one refresh after it. Pure: the caller passes the time (seconds on a
/// monotonic clock) and performs the actions.
public struct CoalescingSchedule<Key: Hashable & Sendable>: Sendable {
    public enum Action: Sendable, Equatable {
        /// Start a refresh now (call `finished` when it is done).
        case refreshNow
        /// Call `timerFired` at this time.
        case refreshAt(Double)
        /// Nothing to do: a refresh is already running or scheduled and will cover this change.
        case none
    }

    public let interval: Double
    private var lastStart: [Key: Double] = [:]
    private var running: Set<Key> = []
    private var scheduled: Set<Key> = []
    private var dirty: Set<Key> = []

    /// `maxPerSecond` refreshes per key and second at most.
    public init(maxPerSecond: Double) {
        interval = maxPerSecond > 0 ? 1 / maxPerSecond : 0
    }

    /// Something about `key` changed.
    public mutating func changed(_ key: Key, now: Double) -> Action {
        if running.contains(key) {
            dirty.insert(key)
            return .none
        }
        if scheduled.contains(key) { return .none }
        let earliest = (lastStart[key] ?? -Double.infinity) + interval
        if earliest <= now {
            start(key, now: now)
            return .refreshNow
        }
        scheduled.insert(key)
        return .refreshAt(earliest)
    }

    /// The timer of a `refreshAt` went off.
    public mutating func timerFired(_ key: Key, now: Double) -> Action {
        guard scheduled.remove(key) != nil else { return .none }
        start(key, now: now)
        return .refreshNow
    }

    /// A refresh of `key` is done; when changes arrived while it ran, another one is due.
    public mutating func finished(_ key: Key, now: Double) -> Action {
        running.remove(key)
        guard dirty.remove(key) != nil else { return .none }
        let earliest = (lastStart[key] ?? now) + interval
        if earliest <= now {
            start(key, now: now)
            return .refreshNow
        }
        scheduled.insert(key)
        return .refreshAt(earliest)
    }

    /// Nobody watches `key` any more.
    public mutating func forget(_ key: Key) {
        lastStart[key] = nil
        scheduled.remove(key)
        dirty.remove(key)
    }

    private mutating func start(_ key: Key, now: Double) {
        running.insert(key)
        lastStart[key] = now
    }
}
