import Foundation
import Metrics
import NIOCore
import RallyBus

/// One event loop's side of the per-user write limit: admits or refuses a user's write at once, from what the
/// shared counters said at the last sync plus what this loop admitted since; every `syncInterval` it adds its
/// admissions to the shared counters (one call for all its users) and learns the totals of every loop and node.
/// A user can therefore pass the limit by what the other loops and nodes admit within one sync interval.
/// If the shared counters fail (Redis unreachable), the loop goes on counting alone: the limit fails open to a
/// per-loop limit, counted in `rally_rate_limit_fail_open_total`.
///
/// Confined to `loop`: no lock on the write path.
final class UserRateGate: @unchecked Sendable {
    private let loop: EventLoop
    private let limit: UserRateLimit
    private let counter: any SharedRateCounter
    private let failOpen = Counter(label: "rally_rate_limit_fail_open_total")
    private var window: Int64 = -1
    /// Totals the shared counters last reported, per user, in the current window.
    private var known: [String: Int] = [:]
    /// Admitted here since the last sync, per user.
    private var pending: [String: Int] = [:]
    private var syncing = false
    private var timer: RepeatedTask?

    init(loop: EventLoop, limit: UserRateLimit, counter: any SharedRateCounter) {
        self.loop = loop
        self.limit = limit
        self.counter = counter
    }

    /// True when `user` may make one more write now (and counts it).
    func admit(_ user: String) -> Bool {
        loop.assertInEventLoop()
        guard limit.perWindow > 0 else { return true }
        startIfNeeded()
        rollWindow()
        let used = (known[user] ?? 0) + (pending[user] ?? 0)
        guard used < limit.perWindow else { return false }
        pending[user, default: 0] += 1
        return true
    }

    func stop() { timer?.cancel() }

    private func startIfNeeded() {
        guard timer == nil else { return }
        timer = loop.scheduleRepeatedTask(initialDelay: limit.syncInterval, delay: limit.syncInterval) { [self] _ in
            sync()
        }
    }

    /// Windows are numbered by wall clock, so every node counts into the same key.
    private var currentWindow: Int64 {
        Int64(Date().timeIntervalSince1970 * 1e9) / max(1, limit.window.nanoseconds)
    }

    private func rollWindow() {
        let now = currentWindow
        guard now != window else { return }
        window = now
        known.removeAll()
        pending.removeAll()
    }

    /// Adds what this loop admitted to the shared counters and learns the totals; done when the answer is applied.
    @discardableResult
    func sync() -> EventLoopFuture<Void> {
        loop.assertInEventLoop()
        rollWindow()
        guard !syncing, !pending.isEmpty else { return loop.makeSucceededVoidFuture() }
        let sent = pending
        let sentWindow = window
        pending.removeAll()
        syncing = true
        let keys = Dictionary(uniqueKeysWithValues: sent.map { ("rally:rl:\(sentWindow):\($0.key)", $0.value) })
        return counter.add(keys, window: limit.window * 2, on: loop).hop(to: loop).always { [self] result in
            syncing = false
            guard sentWindow == window else { return }
            switch result {
            case .success(let totals):
                for (user, _) in sent {
                    if let total = totals["rally:rl:\(sentWindow):\(user)"] { known[user] = max(known[user] ?? 0, total) }
                }
            case .failure:
                failOpen.increment()
                for (user, count) in sent { known[user, default: 0] += count }
            }
        }.map { _ in }.recover { _ in }
    }
}
