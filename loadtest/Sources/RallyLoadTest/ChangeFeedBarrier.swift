import Foundation
import NIOCore

/// Waits until the node has worked through every change committed so far. A node applies its change feed in
/// commit order, and the setup of a run commits many rows whose NOTIFYs it must process first (friendships:
/// thousands); a writer started earlier would measure that backlog, not its own rows. The barrier: a fresh user
/// joins `user:<id>`, the tool inserts a notification for it, and the barrier is passed when that notification
/// arrives (notifications revoke nothing, so the probe costs the node one delivery).
struct ChangeFeedBarrier: Sendable {
    let user = UUID()

    /// Creates the barrier's user (remove it with the run's users).
    func prepare(in database: LoadDatabase) async throws {
        try await database.createUsers([user], privacy: "private")
    }

    /// Seconds until the node delivered the probe; throws after `timeout`.
    func pass(
        database: LoadDatabase, target: ClientTarget, minter: TokenMinter, on loop: EventLoop, timeout: Double
    ) async throws -> Double {
        let marker = "loadtest-barrier-\(UUID().lowercased)"
        let markerBytes = Array(marker.utf8)
        let arrived = loop.makePromise(of: Void.self)
        let settled = Locked(false)
        let settle: @Sendable (Result<Void, Error>) -> Void = { result in
            guard settled.withValue({ done in defer { done = true }; return !done }) else { return }
            arrived.completeWith(result)
        }
        let client = try await target.connectLive(
            index: 0, topic: "user:\(user.lowercased)", token: minter.token(user: user.lowercased), on: loop
        ) { frame in
            let found = frame.withUnsafeReadableBytes { PayloadScanner.find(markerBytes, in: $0) != nil }
            if found { settle(.success(())) }
            return found
        }.get()
        let start = MonotonicClock.now()
        let timer = loop.scheduleTask(in: .milliseconds(Int64(timeout * 1000))) {
            settle(.failure(LoadTestError("the node did not catch up with the setup's changes within \(Int(timeout)) s")))
        }
        defer { timer.cancel() }
        do {
            try await database.insertNotification(user: user, title: marker)
            try await arrived.futureResult.get()
        } catch {
            try? await client.close().get()
            throw error
        }
        try? await client.close().get()
        return MonotonicClock.seconds(since: start)
    }
}
