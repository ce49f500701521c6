import Foundation
import NIOCore
import NIOPosix

/// What every scenario sets up first: limits, the event loops, the shared time origin and the watchdog.
struct RunContext: Sendable {
    let group: MultiThreadedEventLoopGroup
    /// Monotonic origin shared by all processes of the run (timeline buckets are counted from it).
    let epoch: UInt64
    let started: UInt64
    let startedAt: String
    let shard: Int
    let shards: Int
    let threads: Int

    init(connection: ConnectionOptions, run: RunOptions) throws {
        try self.init(threads: connection.threads, run: run)
    }

    /// `threads`: event loops in this process (nil: one per core, or 1 per child process).
    init(threads requested: Int?, run: RunOptions) throws {
        SystemLimits.raiseOpenFileLimit()
        shard = run.shard ?? 0
        shards = run.isChild ? (run.shards ?? 1) : max(1, run.processes)
        guard shards >= 1, shards <= 64 else { throw LoadTestError("--processes must be 1…64") }
        let defaultThreads = shards > 1 ? 1 : System.coreCount
        threads = max(1, requested ?? defaultThreads)
        group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        started = MonotonicClock.now()
        epoch = run.epochNs ?? started
        startedAt = RunReport.now()
        Self.startWatchdog(seconds: run.maxTime)
    }

    /// Ends the process if the run outlives `--max-time` (every phase has its own deadline too).
    private static func startWatchdog(seconds: Double) {
        let thread = Thread {
            Thread.sleep(forTimeInterval: max(1, seconds))
            Console.err("rally-loadtest: --max-time \(seconds) s reached, stopping")
            exit(3)
        }
        thread.start()
    }

    /// Seconds since this process started the run.
    var elapsed: Double { MonotonicClock.seconds(since: started) }

    /// A monotonic deadline `seconds` from now.
    static func deadline(in seconds: Double) -> UInt64 {
        MonotonicClock.now() + UInt64(max(0, seconds) * 1e9)
    }

    /// This process's part of `total` items: how many, and the global index of the first.
    static func share(of total: Int, shard: Int, shards: Int) -> (count: Int, first: Int) {
        let base = total / shards
        let extra = total % shards
        let count = base + (shard < extra ? 1 : 0)
        let first = shard * base + min(shard, extra)
        return (count, first)
    }

    func shutdown() async {
        try? await group.shutdownGracefully()
    }
}

/// The child processes of a multi-process run, seen from the parent.
struct ChildGroup: Sendable {
    let children: [ChildProcess]

    /// Starts `count` children and waits until each reports `ready`; merges their connection stats.
    static func start(count: Int, epoch: UInt64, readyDeadline: UInt64) async throws -> (ChildGroup, ConnectionStats) {
        let children = try (0..<count).map { try ChildProcess(shard: $0, shards: count, epoch: epoch) }
        var stats = ConnectionStats()
        for child in children {
            guard let ready = await child.next(.ready, deadline: readyDeadline), ready.kind == .ready else {
                for other in children { await other.waitForExit(timeout: 0) }
                throw LoadTestError("generator child \(child.shard) did not get ready in time")
            }
            if let connections = ready.connections { stats.merge(connections) }
        }
        return (ChildGroup(children: children), stats)
    }

    func broadcast(_ message: ShardMessage) {
        for child in children { child.send(message) }
    }

    /// Collects every child's result (children that fail or time out are reported in `missing`).
    func results(deadline: UInt64) async -> (results: [ShardMessage], missing: [String]) {
        var results: [ShardMessage] = []
        var missing: [String] = []
        for child in children {
            if let result = await child.next(.result, deadline: deadline), result.kind == .result {
                results.append(result)
            } else {
                missing.append("child \(child.shard) sent no result")
            }
        }
        for child in children { await child.waitForExit(timeout: 10) }
        return (results, missing)
    }

    var lowest: Int { children.map(\.lowest).min() ?? -1 }
}
