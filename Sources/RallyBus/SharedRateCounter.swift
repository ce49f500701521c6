import NIOConcurrencyHelpers
import NIOCore

/// Counters shared by every node (Redis) or by one node's loops (in memory): each key counts within a fixed
/// window and disappears after it. The per-user write limit adds what each loop admitted since its last sync and
/// learns the totals of every node. One contract suite runs on both implementations.
public protocol SharedRateCounter: Sendable {
    /// Adds each increment (> 0) to its key's counter, creating it to expire after `window`; returns the totals.
    func add(_ increments: [String: Int], window: TimeAmount, on loop: EventLoop) -> EventLoopFuture<[String: Int]>
}

/// The counters of one node alone.
public final class LocalRateCounter: SharedRateCounter {
    private struct Counter { var total: Int; var expires: NIODeadline }
    private let counters = NIOLockedValueBox([String: Counter]())

    public init() {}

    public func add(_ increments: [String: Int], window: TimeAmount, on loop: EventLoop)
        -> EventLoopFuture<[String: Int]> {
        let now = NIODeadline.now()
        let totals = counters.withLockedValue { counters in
            counters = counters.filter { $0.value.expires > now }
            var totals: [String: Int] = [:]
            for (key, increment) in increments where increment > 0 {
                var counter = counters[key] ?? Counter(total: 0, expires: now + window)
                counter.total += increment
                counters[key] = counter
                totals[key] = counter.total
            }
            return totals
        }
        return loop.makeSucceededFuture(totals)
    }
}
