import ArgumentParser
import NIOCore
import RallyClient

/// N sockets, each alone on its own topic, each sending a message and waiting for it to come back before sending
/// the next: the server's per-message cost and latency with nothing to batch. Rally: a broadcast on a channel
/// joined with `self: true`; raw: a text frame on a publish-and-subscribe endpoint (Nchan's `/pubsub/{topic}`).
struct RoundTripCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roundtrip",
        abstract: "Round trips: N sockets, each on its own topic, one message in flight each; round trips/s and latency.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var run: RunOptions

    @Option(help: "Sockets, each on its own topic.")
    var sockets = 50
    @Option(help: "Seconds of round trips.")
    var duration: Double = 10
    @Option(help: "Topic prefix: socket i uses <prefix><i> (Rally: realtime:<prefix><i>; raw: replaces {topic}).")
    var topic = "rt"
    @Option(help: "Pad each payload to about this many bytes.")
    var payloadSize = 0

    func validate() throws {
        guard sockets >= 1, duration > 0 else { throw ValidationError("need --sockets ≥ 1 and --duration > 0") }
        guard run.processes == 1 else { throw ValidationError("roundtrip runs in one process") }
    }

    func run() async throws {
        let context = try RunContext(connection: connection, run: run)
        do { try await measure(context) } catch {
            await context.shutdown()
            throw error
        }
        await context.shutdown()
    }

    private func measure(_ context: RunContext) async throws {
        let loops = Array(context.group.makeIterator())
        let players = loops.map { RoundTripPlayer(eventLoop: $0, payloadSize: payloadSize) }
        let target = try ClientTarget(options: connection)
        let join = JoinOptions(broadcastSelf: true)
        let (clients, stats) = await ConnectionPool.connectAll(
            count: sockets, concurrency: connection.concurrency, deadline: RunContext.deadline(in: connection.connectTimeout)
        ) { [topic] index in
            let player = players[index % loops.count]
            return target.connect(
                index: index, topic: "\(topic)\(index)", join: join, on: player.eventLoop,
                onStamp: { stamp in player.received(stamp) }, onOther: {})
        }
        for (index, client) in clients.enumerated() {
            guard let client else { continue }
            let player = players[index % loops.count]
            try await player.eventLoop.submit { player.add(client, seat: index) }.get()
        }
        let cpuBefore = CPUSample.take(serverPid: run.serverPid)
        let deadline = RunContext.deadline(in: duration)
        for player in players { try await player.eventLoop.submit { player.start(until: deadline) }.get() }
        try? await Task.sleep(nanoseconds: UInt64(duration * 1e9))
        try? await Task.sleep(nanoseconds: 200_000_000)  // the last round trips in flight come back
        let cpuAfter = CPUSample.take(serverPid: run.serverPid)
        var total = RoundTripTally()
        for player in players { total.merge(try await player.eventLoop.submit { player.tally }.get()) }
        await ConnectionPool.closeAll(clients.compactMap { $0 }, concurrency: connection.concurrency)
        try emit(context: context, stats: stats, tally: total, cpu: CPUSample.report(from: cpuBefore, to: cpuAfter))
    }

    private func emit(context: RunContext, stats: ConnectionStats, tally: RoundTripTally, cpu: RunReport.CPU) throws {
        var report = RunReport(
            scenario: "roundtrip", mode: connection.mode.rawValue, label: run.label, url: connection.url,
            startedAt: context.startedAt, processes: 1,
            parameters: ["sockets": String(sockets), "duration": String(duration), "payload_size": String(payloadSize)])
        report.connections = RunReport.Connections(stats)
        var deliveries = DeliveryStats()
        deliveries.streams = stats.connected
        deliveries.expected = tally.sent
        deliveries.received = tally.received
        deliveries.lost = tally.sent - tally.received
        deliveries.unstamped = tally.foreign
        deliveries.latency = tally.latency
        report.deliveries = RunReport.Deliveries(deliveries, seconds: duration)
        report.cpu = cpu
        if let server = cpu.serverSeconds, tally.received > 0 {
            report.notes.append("server CPU per round trip: \((server / Double(tally.received) * 1e8).rounded() / 100) µs")
        }
        report.seconds = context.elapsed
        try report.emit(options: run, latency: tally.latency, timeline: nil, bucketMilliseconds: 100)
    }
}

/// What the players of one loop saw.
struct RoundTripTally: Sendable {
    var sent = 0
    var received = 0
    /// Messages that were not the socket's own (none expected).
    var foreign = 0
    var latency = makeLatencyHistogram()

    mutating func merge(_ other: RoundTripTally) {
        sent += other.sent
        received += other.received
        foreign += other.foreign
        latency.add(other.latency)
    }
}

/// The sockets of one event loop, each with one message in flight. Confined to its loop (hence `@unchecked`).
final class RoundTripPlayer: @unchecked Sendable {
    let eventLoop: EventLoop
    private let payloadSize: Int
    private var clients: [Int: LoadClient] = [:]
    private var sequence: [Int: Int] = [:]
    private var deadline: UInt64 = 0
    private(set) var tally = RoundTripTally()

    init(eventLoop: EventLoop, payloadSize: Int) {
        self.eventLoop = eventLoop
        self.payloadSize = payloadSize
    }

    func add(_ client: LoadClient, seat: Int) {
        clients[seat] = client
        sequence[seat] = 0
    }

    func start(until deadline: UInt64) {
        self.deadline = deadline
        for seat in clients.keys { send(seat: seat) }
    }

    /// On the loop: one of this loop's sockets heard a stamped message.
    func received(_ stamp: Stamp) {
        let now = MonotonicClock.now()
        guard let seat = stamp.from, stamp.seq == sequence[seat].map({ $0 - 1 }) else {
            tally.foreign += 1
            return
        }
        tally.received += 1
        _ = tally.latency.record(max(1, (now &- stamp.sentAt) / 1000))
        if now < deadline { send(seat: seat) }
    }

    private func send(seat: Int) {
        guard let client = clients[seat], let seq = sequence[seat] else { return }
        sequence[seat] = seq + 1
        tally.sent += 1
        client.send(Stamp(seq: seq, sentAt: MonotonicClock.now(), from: seat), padTo: payloadSize)
    }
}
