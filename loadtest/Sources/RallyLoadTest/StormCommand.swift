import ArgumentParser
import NIOCore
import RallyClient

/// N connections opened at concurrency C: connections per second, failures, and the server's memory
/// per idle connection.
struct StormCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storm",
        abstract: "Connection storm: connections/s, failures, server memory per idle connection (from /proc).")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var run: RunOptions

    @Option(help: "Connections to open (spread over --processes and --source-addresses).")
    var connections = 1000
    @Option(help: "Rally: join each connection to realtime:<topic>-<i mod topics> (0: connect only). Raw: {topic} names.")
    var topics = 0
    @Option(help: "Topic name prefix.")
    var topic = "storm"
    @Option(help: "Seconds to wait after the storm before reading the server's memory.")
    var settle: Double = 2
    @Option(help: "Seconds to keep the connections open after the memory reading.")
    var hold: Double = 0
    @Option(help: "Rally: sign one HS256 token per connection with this secret (a distinct `sub` each), so that every connect verifies a signature instead of hitting the server's token cache.")
    var mintSecret: String?

    func validate() throws {
        guard connections >= 1 else { throw ValidationError("--connections must be at least 1") }
    }

    func run() async throws {
        let context = try RunContext(connection: connection, run: run)
        do {
            if run.isChild { try await runChild(context) } else { try await runParent(context) }
        } catch {
            await context.shutdown()
            throw error
        }
        await context.shutdown()
    }

    var parameters: [String: String] {
        [
            "connections": String(connections), "concurrency": String(connection.concurrency), "topics": String(topics),
            "settle": String(settle), "hold": String(hold), "source_addresses": connection.sourceAddresses,
            "minted_tokens": String(mintSecret != nil),
        ]
    }

    /// Opens this process's share; returns the clients and the stats.
    private func storm(_ context: RunContext) async throws -> ([LoadClient], ConnectionStats) {
        let (count, first) = RunContext.share(of: connections, shard: context.shard, shards: context.shards)
        try SystemLimits.checkSocketBudget(needed: count, processes: context.shards)
        try SystemLimits.checkPorts(connections: connections, sourceAddresses: try SourceAddressPool(parsing: connection.sourceAddresses).addresses.count)
        var idleTarget = try ClientTarget(options: connection)
        idleTarget.webSocket.receiveBufferSize = 4096
        // A short settle and hold close the sockets long before the server's idle timeout (60 s), mostly before
        // the first heartbeat would be due (25 s): no heartbeat timer then (19,000 pending timers are a heap the
        // generator keeps reordering while it connects).
        if settle + hold < 10 { idleTarget.heartbeat = nil }
        let target = idleTarget
        // Every token is signed before the clock starts: minting is the test's setup, not part of a connection.
        let tokens = mintSecret.map { secret in
            let minter = TokenMinter(secret: secret)
            return (0..<count).map { minter.token(user: Self.userID(first + $0)) }
        }
        let loops = Array(context.group.makeIterator())
        let deadline = RunContext.deadline(in: connection.connectTimeout)
        let (clients, stats) = await ConnectionPool.connectAll(count: count, concurrency: connection.concurrency, deadline: deadline) {
            [topics, topic] index in
            let global = first + index
            let name = topics > 0 ? "\(topic)-\(global % topics)" : topic
            let token = tokens?[index]
            return target.connect(
                index: global, topic: name, token: token, joining: topics > 0, on: loops[index % loops.count], onStamp: { _ in }, onOther: {})
        }
        return (clients.compactMap { $0 }, stats)
    }

    /// A distinct user id (uuid form) for connection `index`.
    static func userID(_ index: Int) -> String {
        let digits = String(index)
        return "00000000-0000-4000-8000-" + String(repeating: "0", count: max(0, 12 - digits.count)) + digits
    }

    private func runChild(_ context: RunContext) async throws {
        let link = ShardLink()
        let (clients, stats) = try await storm(context)
        var ready = ShardMessage(kind: .ready)
        ready.connections = stats
        link.send(ready)
        _ = await link.next(.finish, deadline: RunContext.deadline(in: run.maxTime))
        var result = ShardMessage(kind: .result)
        result.disconnected = clients.filter { !$0.socket.isActive }.count
        result.generatorRSS = ProcessMemory.selfRSS()
        link.send(result)
        await ConnectionPool.closeAll(clients, concurrency: connection.concurrency)
    }

    private func runParent(_ context: RunContext) async throws {
        let before = MemorySample.take(serverPid: run.serverPid)
        let cpuBefore = CPUSample.take(serverPid: run.serverPid)
        var clients: [LoadClient] = []
        var children: ChildGroup? = nil
        var stats: ConnectionStats
        if context.shards == 1 {
            (clients, stats) = try await storm(context)
        } else {
            let deadline = RunContext.deadline(in: connection.connectTimeout + 30)
            let started = try await ChildGroup.start(count: context.shards, epoch: context.epoch, readyDeadline: deadline)
            (children, stats) = (started.0, started.1)
        }
        let cpuAfter = CPUSample.take(serverPid: run.serverPid)  // opening (and joining) only, before any close
        try? await Task.sleep(nanoseconds: UInt64(settle * 1e9))
        let after = MemorySample.take(serverPid: run.serverPid)
        try? await Task.sleep(nanoseconds: UInt64(hold * 1e9))
        var disconnected = clients.filter { !$0.socket.isActive }.count
        var notes: [String] = []
        if let children {
            children.broadcast(ShardMessage(kind: .finish))
            let (results, missing) = await children.results(deadline: RunContext.deadline(in: 120))
            disconnected += results.compactMap(\.disconnected).reduce(0, +)
            notes += missing
        }
        await ConnectionPool.closeAll(clients, concurrency: connection.concurrency)
        var report = RunReport(
            scenario: "storm", mode: connection.mode.rawValue, label: run.label, url: connection.url,
            startedAt: context.startedAt, processes: context.shards, parameters: parameters)
        report.connections = RunReport.Connections(stats, disconnected: disconnected)
        report.memory = MemorySample.report(before: before, after: after, connections: stats.connected)
        report.cpu = CPUSample.report(from: cpuBefore, to: cpuAfter)
        report.notes = notes
        if let server = report.cpu?.serverSeconds, stats.connected > 0 {
            report.notes.append("server CPU per connection: \((server / Double(stats.connected) * 1e8).rounded() / 100) µs")
        }
        report.seconds = context.elapsed
        try report.emit(options: run, latency: stats.connectLatency, timeline: nil, bucketMilliseconds: 100)
    }
}
