import ArgumentParser
import Foundation
import NIOCore

/// A bounded soak of a running node: many sockets joining, broadcasting, tracking presence, leaving and
/// reconnecting for `--duration`, then closing and leaving the node idle, while the node's RSS is sampled every
/// second. Says whether memory comes back after the load is gone (and, over `--rounds`, whether it creeps up).
struct SoakCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soak",
        abstract: "Soak: joins, broadcasts, presence and reconnects for minutes; the server's RSS curve (start, peak, end, after idle).")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var run: RunOptions

    @Option(help: "Sockets open at once (each joined to one topic, presence on).")
    var sockets = 200
    @Option(help: "Topics the sockets are spread over (realtime:<topic>-<i>).")
    var topics = 10
    @Option(help: "Topic name prefix.")
    var topic = "soak"
    @Option(help: "Seconds of load per round.")
    var duration: Double = 60
    @Option(help: "Rounds of connect → load → close → idle (RSS after idle per round shows a leak as a climb).")
    var rounds = 1
    @Option(help: "Broadcasts per second over all sockets (each reaches the topic's other members).")
    var broadcastRate: Double = 200
    @Option(help: "Presence track/untrack calls per second over all sockets (Rally allows 10 per 10 s per socket).")
    var presenceRate: Double = 20
    @Option(help: "Leave + join of the next topic per second over all sockets.")
    var rejoinRate: Double = 10
    @Option(help: "Disconnects + reconnects (and joins) per second over all sockets.")
    var reconnectRate: Double = 10
    @Option(help: "Every n-th reconnect cuts the TCP connection without a close handshake (0: never).")
    var abortEvery = 4
    @Option(help: "Pad each broadcast payload to about this many bytes.")
    var payloadSize = 256
    @Option(help: "Seconds the node is left idle after the sockets closed, before the after-idle reading.")
    var idle: Double = 15
    @Option(help: "Seconds between RSS samples of --server-pid.")
    var sampleInterval: Double = 1

    func validate() throws {
        guard sockets >= 1, topics >= 1, rounds >= 1, rounds <= 100 else {
            throw ValidationError("need --sockets ≥ 1, --topics ≥ 1, --rounds 1…100")
        }
        guard duration > 0, duration <= 3_600, idle >= 0, idle <= 3_600 else {
            throw ValidationError("--duration must be in (0, 3600] s and --idle in [0, 3600] s")
        }
        guard [broadcastRate, presenceRate, rejoinRate, reconnectRate].allSatisfy({ $0 >= 0 && $0 <= 1_000_000 }),
            abortEvery >= 0, payloadSize >= 0, sampleInterval >= 0.1
        else { throw ValidationError("rates must be 0…1,000,000, --abort-every and --payload-size ≥ 0, --sample-interval ≥ 0.1") }
        guard connection.mode != .raw else { throw ValidationError("soak needs a Rally mode (presence, joins)") }
        guard run.processes == 1 else { throw ValidationError("soak runs in one process (at most ~19,900 sockets)") }
    }

    var parameters: [String: String] {
        [
            "sockets": String(sockets), "topics": String(topics), "duration": String(duration), "rounds": String(rounds),
            "broadcast_rate": String(broadcastRate), "presence_rate": String(presenceRate),
            "rejoin_rate": String(rejoinRate), "reconnect_rate": String(reconnectRate), "abort_every": String(abortEvery),
            "payload_size": String(payloadSize), "idle": String(idle), "source_addresses": connection.sourceAddresses,
        ]
    }

    func run() async throws {
        let context = try RunContext(connection: connection, run: run)
        do {
            try await soak(context)
        } catch {
            await context.shutdown()
            throw error
        }
        await context.shutdown()
    }

    private func makeLoops(_ context: RunContext) throws -> [SoakLoop] {
        let target = try ClientTarget(options: connection)
        let loops = Array(context.group.makeIterator())
        let share = 1 / Double(loops.count)
        let plan = SoakLoop.Plan(
            rates: [
                .broadcast: broadcastRate * share, .presence: presenceRate * share, .rejoin: rejoinRate * share,
                .reconnect: reconnectRate * share,
            ],
            abortEvery: abortEvery, payloadSize: payloadSize, topics: topics, topicPrefix: topic)
        return try loops.enumerated().map { position, loop in
            try SoakLoop(eventLoop: loop, target: target, plan: plan,
                         indices: Array(stride(from: position, to: sockets, by: loops.count)))
        }
    }

    private func soak(_ context: RunContext) async throws {
        try SystemLimits.checkSocketBudget(needed: sockets, processes: 1)
        try SystemLimits.checkPorts(
            connections: sockets, sourceAddresses: try SourceAddressPool(parsing: connection.sourceAddresses).addresses.count)
        let curve = RSSCurve(pid: run.serverPid, interval: sampleInterval)
        curve.start()
        let before = MemorySample.take(serverPid: run.serverPid)
        let start = curve.mark("start")
        let loops = try makeLoops(context)
        var stats = ConnectionStats()
        var results = SoakResults(sampleIntervalSeconds: sampleInterval)
        var endOfLoad = before
        var openAtEnd = 0
        var notes: [String] = []
        if presenceRate * 10 / Double(sockets) > 10 {
            notes.append("presence rate above Rally's default 10 calls per 10 s per socket: expect refusals")
        }
        for round in 1...rounds {
            let roundStart = round == 1 ? start : curve.mark("round \(round) start")
            let (_, connected) = await ConnectionPool.connectAll(
                count: sockets, concurrency: connection.concurrency,
                deadline: RunContext.deadline(in: connection.connectTimeout)
            ) { index in loops[index % loops.count].open(index / loops.count) }
            stats.merge(connected)
            curve.mark("round \(round) connected")
            progress("round \(round): \(connected.connected)/\(sockets) connected in \(SummaryText.fixed(connected.seconds)) s; load for \(duration) s")
            let deadline = RunContext.deadline(in: duration)
            await withTaskGroup(of: Void.self) { group in
                for loop in loops { group.addTask { await loop.act(until: deadline) } }
            }
            await Self.waitUntilIdle(loops, deadline: RunContext.deadline(in: 15))
            let end = curve.mark("round \(round) end of load")
            progress("round \(round): load over, closing")
            if round == rounds { endOfLoad = MemorySample.take(serverPid: run.serverPid) }
            openAtEnd = 0
            for loop in loops { openAtEnd += await loop.openCount() }
            await withTaskGroup(of: Void.self) { group in
                for loop in loops { group.addTask { await loop.closeAll() } }
            }
            let closed = curve.mark("round \(round) closed")
            progress("round \(round): closed; idle for \(idle) s")
            try? await Task.sleep(nanoseconds: UInt64(idle * 1e9))
            let afterIdle = curve.mark("round \(round) after idle")
            results.rounds.append(SoakResults.Round(
                round: round, connected: connected.connected, openAtEnd: openAtEnd, rssStart: roundStart.bytes,
                rssPeak: curve.peak(from: roundStart.seconds, to: afterIdle.seconds)?.bytes, rssEndOfLoad: end.bytes,
                rssAfterClose: closed.bytes, rssAfterIdle: afterIdle.bytes, anonStart: roundStart.anonBytes,
                anonEndOfLoad: end.anonBytes, anonAfterIdle: afterIdle.anonBytes))
        }
        curve.stop()
        var counts = SoakCounts()
        var latency = makeLatencyHistogram()
        for loop in loops {
            let (part, histogram) = await loop.results()
            counts.merge(part)
            latency.add(histogram)
        }
        results.finish(curve: curve, counts: counts, latency: latency)
        var report = RunReport(
            scenario: "soak", mode: connection.mode.rawValue, label: run.label, url: connection.url,
            startedAt: context.startedAt, processes: 1, parameters: parameters)
        report.connections = RunReport.Connections(stats, disconnected: sockets - openAtEnd)
        let seconds = duration * Double(rounds)
        report.publishing = RunReport.Publishing(
            published: counts.broadcastsSent, failed: 0, seconds: seconds, perSecond: Double(counts.broadcastsSent) / seconds,
            via: "ws")
        report.memory = MemorySample.report(before: before, after: endOfLoad, connections: sockets)
        if run.serverPid == nil { notes.append("no --server-pid: no RSS curve") }
        report.notes = notes
        report.seconds = context.elapsed
        try SoakOutput(report: report, soak: results).emit(options: run, latency: latency)
    }

    private func progress(_ text: String) {
        if !run.quiet { Console.err("soak: " + text) }
    }

    /// Waits (bounded) until no socket has an action in progress, so the end-of-load reading is not mid-request.
    private static func waitUntilIdle(_ loops: [SoakLoop], deadline: UInt64) async {
        while MonotonicClock.now() < deadline {
            var busy = 0
            for loop in loops { busy += await loop.busyCount() }
            if busy == 0 { return }
            try? await Task.sleep(nanoseconds: 50_000_000)
        }
    }
}
