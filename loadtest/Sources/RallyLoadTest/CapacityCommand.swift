import ArgumentParser
import Foundation

/// N subscribers of `event:<id>`; a writer commits RSVPs straight into Postgres; commit → `capacity` latency.
struct CapacityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capacity",
        abstract: "Live capacity: N subscribers of event:<id>, RSVP rows committed into Postgres; commit → client latency and coalescing.",
        discussion: "Needs a Rally node serving --database-url (RALLY_DATABASE_URL) with the --jwt-secret it verifies. One process.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var run: RunOptions
    @OptionGroup var live: LiveOptions

    @Option(help: "Subscribers of the event (each a signed-in user with its own token).")
    var subscribers = 100
    @Option(help: "RSVP rows the writer commits (one row per transaction).")
    var rows = 100
    @Option(help: "Rows committed per second on average.")
    var rate: Double = 20
    @Option(help: "Rows committed back to back per burst (bursts are burst/rate seconds apart; 1 = a steady rate).")
    var burst = 1
    @Option(help: "Attendance rows (going) inserted before the run.")
    var seeded = 0
    @Option(help: "Seconds to wait for the final count after the last commit.")
    var drain: Double = 5

    func validate() throws {
        guard subscribers >= 1, rows >= 1, rate > 0, burst >= 1, seeded >= 0 else {
            throw ValidationError("need --subscribers ≥ 1, --rows ≥ 1, --rate > 0, --burst ≥ 1, --seeded ≥ 0")
        }
        guard run.processes == 1 else { throw ValidationError("capacity runs in one process (--processes 1)") }
    }

    var parameters: [String: String] {
        ["subscribers": String(subscribers), "rows": String(rows), "rate": String(rate), "burst": String(burst),
         "seeded": String(seeded)]
    }

    func run() async throws {
        let context = try RunContext(connection: connection, run: run)
        let (url, minter) = try live.resolved()
        let database = try await LoadDatabase.connect(url: url, on: context.group.next())
        let event = UUID()
        let seedUsers = (0..<seeded).map { _ in UUID() }
        let writerUsers = (0..<rows).map { _ in UUID() }
        let barrier = ChangeFeedBarrier()
        let users = seedUsers + writerUsers + [barrier.user]
        do {
            try await barrier.prepare(in: database)
            try await measure(
                context, database: database, event: event, seedUsers: seedUsers, writerUsers: writerUsers, minter: minter,
                barrier: barrier)
        } catch {
            await finish(context, database: database, users: users, event: event)
            throw error
        }
        await finish(context, database: database, users: users, event: event)
    }

    private func finish(_ context: RunContext, database: LoadDatabase, users: [UUID], event: UUID) async {
        if !live.keepRows { try? await database.cleanUp(users: users, events: [event], groups: []) }
        await database.close()
        await context.shutdown()
    }

    private func measure(
        _ context: RunContext, database: LoadDatabase, event: UUID, seedUsers: [UUID], writerUsers: [UUID], minter: TokenMinter,
        barrier: ChangeFeedBarrier
    ) async throws {
        try SystemLimits.checkSocketBudget(needed: subscribers, processes: 1)
        try await database.createUsers(seedUsers + writerUsers, privacy: "public")
        try await database.createEvent(event, title: "loadtest capacity", capacity: seeded + rows + 100)
        try await database.seedAttendance(event: event, users: seedUsers)
        let before = MemorySample.take(serverPid: run.serverPid)
        let topic = "event:\(event.lowercased)"
        let target = try ClientTarget(options: connection)
        let (subscribed, stats) = await LiveSubscribers.connect(
            target: target, topics: Array(repeating: topic, count: subscribers),
            tokens: (0..<subscribers).map { _ in minter.token(user: UUID().lowercased) }, group: context.group,
            concurrency: connection.concurrency, deadline: RunContext.deadline(in: connection.connectTimeout),
            extract: { CapacityFrame.going(in: $0) })
        let after = MemorySample.take(serverPid: run.serverPid)
        let catchUp = try await barrier.pass(
            database: database, target: target, minter: minter, on: context.group.next(), timeout: live.catchUpTimeout)
        let writer = RSVPWriter(database: database, rate: rate, burst: burst)
        let outcome = await writer.run(
            writerUsers.map { RSVPWriter.Row(user: $0, event: event) }, deadline: RunContext.deadline(in: run.maxTime - drain - 10))
        let finalGoing = Int64(seeded + outcome.committed)
        let drainDeadline = RunContext.deadline(in: drain)
        let online = subscribed.connected.count
        while MonotonicClock.now() < drainDeadline, await subscribed.count(withLatest: finalGoing) < online {
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
        let analysis = CapacityAnalysis(
            seeded: seeded, committedAt: outcome.committedAt, receipts: await subscribed.receipts(),
            subscribers: subscribed.connected, epoch: context.epoch)
        let disconnected = subscribed.disconnected
        await subscribed.closeAll(concurrency: connection.concurrency)
        var results = live(outcome, analysis: analysis, online: online)
        results.setupCatchUpSeconds = catchUp
        try report(context, stats: stats, outcome: outcome, analysis: analysis, results: results, disconnected: disconnected,
                   memory: MemorySample.report(before: before, after: after, connections: stats.connected))
    }

    private func report(
        _ context: RunContext, stats: ConnectionStats, outcome: RSVPWriter.Outcome, analysis: CapacityAnalysis,
        results: LiveResults, disconnected: Int, memory: RunReport.Memory
    ) throws {
        var report = RunReport(
            scenario: "capacity", mode: connection.mode.rawValue, label: run.label, url: connection.url,
            startedAt: context.startedAt, processes: 1, parameters: parameters)
        report.connections = RunReport.Connections(stats, disconnected: disconnected)
        report.publishing = RunReport.Publishing(
            published: outcome.committed, failed: outcome.failed, seconds: outcome.seconds, perSecond: outcome.perSecond,
            via: "postgres")
        report.live = results
        report.memory = memory
        if let error = outcome.firstError { report.notes.append("writer stopped: \(error)") }
        if analysis.unexplained > 0 { report.notes.append("\(analysis.unexplained) updates above the committed count") }
        report.seconds = context.elapsed
        try report.emit(
            options: run, latency: analysis.newestRowLatency, timeline: analysis.timeline,
            bucketMilliseconds: DeliveryStats.defaultBucketMilliseconds)
    }

    private func live(_ outcome: RSVPWriter.Outcome, analysis: CapacityAnalysis, online: Int) -> LiveResults {
        LiveResults(
            rowsCommitted: outcome.committed, commitsPerSecond: outcome.perSecond, commitFailures: outcome.failed,
            commitRoundTrip: LatencySummary(outcome.roundTrip), subscribers: online, updatesReceived: analysis.updates,
            updatesPerSubscriber: online > 0 ? Double(analysis.updates) / Double(online) : 0,
            rowsPerUpdate: analysis.updates > 0 ? Double(outcome.committed * online) / Double(analysis.updates) : nil,
            newestRowLatency: LatencySummary(analysis.newestRowLatency),
            rowVisibleLatency: LatencySummary(analysis.rowVisibleLatency), finalGoingExpected: seeded + outcome.committed,
            subscribersWithFinalGoing: analysis.subscribersWithFinalGoing, updatesGoingBackwards: analysis.goingBackwards,
            deliveredBeforeAck: analysis.deliveredBeforeAck)
    }
}
