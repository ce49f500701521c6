import Foundation

/// Waiting on a condition that another process or thread makes true and that cannot signal it (a node's HTTP
/// stats, a metric, a peer node's view of the cluster, `pg_locks`): read it, pause `interval`, read again, until it
/// holds or `timeout` passes. Never a sleep standing in for a condition: the deadline only bounds a wait that ends as
/// soon as the condition holds. Where a condition can signal (a `Recorder`), wait on the signal instead.
public enum Polling {
    /// Reads `read()` until `done` holds for its value or `timeout` passes; returns the last value read, so the
    /// caller's assertion reports what was seen when the wait ended.
    public static func value<Value>(
        timeout: Duration = .seconds(10), every interval: Duration = .milliseconds(10),
        _ read: () async throws -> Value, until done: (Value) -> Bool
    ) async throws -> Value {
        let deadline = ContinuousClock.now + timeout
        var value = try await read()
        while !done(value), ContinuousClock.now < deadline {
            try await Task.sleep(for: interval)
            value = try await read()
        }
        return value
    }

    /// Whether `condition` held before `timeout` passed (checked every `interval`).
    public static func until(
        timeout: Duration = .seconds(10), every interval: Duration = .milliseconds(10),
        _ condition: () async throws -> Bool
    ) async throws -> Bool {
        try await value(timeout: timeout, every: interval, condition, until: { $0 })
    }
}
