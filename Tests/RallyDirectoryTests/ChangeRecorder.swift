import Foundation
import RallyDirectory

/// Collects the changes a directory reports, and waits on them with a deadline (no sleeps as synchronisation).
/// The rows of `postgres_changes` (`.row`) are left out: they follow every change of a served table and have their
/// own tests (`PostgresRowChangeTests`).
actor ChangeRecorder {
    typealias Condition = @Sendable ([DirectoryChange]) -> Bool

    private(set) var changes: [DirectoryChange] = []
    private var waiters: [UUID: (condition: Condition, continuation: CheckedContinuation<Void, Never>)] = [:]

    func record(_ change: DirectoryChange) {
        if case .row = change { return }
        changes.append(change)
        for (id, waiter) in waiters where waiter.condition(changes) {
            waiters[id] = nil
            waiter.continuation.resume()
        }
    }

    /// Waits until `condition` holds for the changes so far, or the deadline passes; returns the changes.
    func waitUntil(seconds: Double = 5, _ condition: @escaping Condition) async -> [DirectoryChange] {
        guard !condition(changes) else { return changes }
        let id = UUID()
        let timeout = Task {
            try await Task.sleep(for: .seconds(seconds))
            self.expire(id)
        }
        await withCheckedContinuation { continuation in
            waiters[id] = (condition, continuation)
        }
        timeout.cancel()
        return changes
    }

    func waitFor(count: Int, seconds: Double = 5) async -> [DirectoryChange] {
        await waitUntil(seconds: seconds) { $0.count >= count }
    }

    private func expire(_ id: UUID) {
        waiters.removeValue(forKey: id)?.continuation.resume()
    }
}
