import Foundation
import NIOCore
import NIOPosix
import RallyClient

/// Opens many connections with a bounded number in flight and a deadline, and records how it went.
enum ConnectionPool {
    private struct Attempt {
        var index: Int
        var outcome: Result<LoadClient, Error>
        var finishedAt: UInt64
        var nanoseconds: UInt64
    }

    /// Opens `count` connections with at most `concurrency` pending at once; `connectOne(i)` opens the
    /// i-th. Connections not started before `deadline` count as failed ("deadline").
    /// Returns the clients by index (nil where it failed) and the statistics.
    static func connectAll(
        count: Int, concurrency: Int, deadline: UInt64,
        connectOne: @escaping @Sendable (Int) -> EventLoopFuture<LoadClient>
    ) async -> ([LoadClient?], ConnectionStats) {
        let start = MonotonicClock.now()
        let workers = max(1, min(concurrency, count))
        let attempts = await withTaskGroup(of: [Attempt].self) { group in
            for worker in 0..<workers {
                group.addTask {
                    await runWorker(worker, stride: workers, count: count, deadline: deadline, connectOne: connectOne)
                }
            }
            var all: [Attempt] = []
            for await part in group { all.append(contentsOf: part) }
            return all
        }
        return tally(attempts, count: count, start: start)
    }

    private static func tally(_ attempts: [Attempt], count: Int, start: UInt64) -> ([LoadClient?], ConnectionStats) {
        var clients = [LoadClient?](repeating: nil, count: count)
        var stats = ConnectionStats()
        stats.attempted = count
        var lastSuccess = start
        for attempt in attempts {
            switch attempt.outcome {
            case .success(let client):
                clients[attempt.index] = client
                stats.connected += 1
                lastSuccess = max(lastSuccess, attempt.finishedAt)
                _ = stats.connectLatency.record(max(1, attempt.nanoseconds / 1000))
            case .failure(let error):
                stats.failed += 1
                stats.failures[failureReason(error), default: 0] += 1
            }
        }
        stats.seconds = Double(lastSuccess - start) / 1e9
        return (clients, stats)
    }

    private static func runWorker(
        _ worker: Int, stride step: Int, count: Int, deadline: UInt64,
        connectOne: @escaping @Sendable (Int) -> EventLoopFuture<LoadClient>
    ) async -> [Attempt] {
        var attempts: [Attempt] = []
        for index in stride(from: worker, to: count, by: step) {
            let begun = MonotonicClock.now()
            guard begun < deadline else {
                attempts.append(Attempt(index: index, outcome: .failure(LoadTestError("deadline")), finishedAt: begun, nanoseconds: 0))
                continue
            }
            let outcome: Result<LoadClient, Error>
            do { outcome = .success(try await connectOne(index).get()) } catch { outcome = .failure(error) }
            let finished = MonotonicClock.now()
            attempts.append(Attempt(index: index, outcome: outcome, finishedAt: finished, nanoseconds: finished - begun))
        }
        return attempts
    }

    /// A short, groupable reason for a failed connection.
    static func failureReason(_ error: Error) -> String {
        switch error {
        case let error as WebSocketClientError:
            if let status = error.refusalStatus { return "upgrade refused \(status)" }
            if case .timedOut(let what) = error { return "timeout: \(what)" }
            return "\(error)"
        case let error as LoadTestError:
            return error.description
        case let error as IOError:
            return "io: \(String(cString: strerror(error.errnoCode)))"
        case let error as NIOConnectionError:
            return error.connectionErrors.first.map { failureReason($0.error) } ?? "connect failed"
        case let error as ChannelError:
            if case .connectTimeout = error { return "connect timeout" }
            return "channel: \(error)"
        default:
            return "\(type(of: error)): \(error)"
        }
    }

    /// Closes every client (close handshake, bounded wait) with at most `concurrency` at a time.
    static func closeAll(_ clients: [LoadClient], concurrency: Int) async {
        let workers = max(1, min(concurrency, clients.count))
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<workers {
                group.addTask {
                    for index in stride(from: worker, to: clients.count, by: workers) {
                        try? await clients[index].close().get()
                    }
                }
            }
        }
    }
}
