import ArgumentParser
import Foundation

/// Friend-activity fanout: U users online on `feed:<own id>`, each with F friends; RSVPs committed into Postgres.
struct ActivityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activity",
        abstract: "Friend activity: U users on feed:<own id>, F friends each; RSVPs committed into Postgres reach F feeds each.",
        discussion: "Needs a Rally node serving --database-url (RALLY_DATABASE_URL) with the --jwt-secret it verifies. One process.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var run: RunOptions
    @OptionGroup var live: LiveOptions

    @Option(help: "Users, all online (public profiles), each subscribed to its own feed.")
    var users = 200
    @Option(help: "Accepted friends per user (all online).")
    var friends = 10
    @Option(help: "RSVPs committed (going, public) by random users on public events (one event per U RSVPs).")
    var rsvps = 200
    @Option(help: "RSVPs committed per second on average.")
    var rate: Double = 20
    @Option(help: "RSVPs committed back to back per burst (1 = a steady rate).")
    var burst = 1
    @Option(help: "Seconds to wait for the last deliveries after the last commit.")
    var drain: Double = 5

    func validate() throws {
        if let problem = ActivityPlan.validate(users: users, friends: friends) { throw ValidationError(problem) }
        guard rsvps >= 1, rate > 0, burst >= 1 else { throw ValidationError("need --rsvps ≥ 1, --rate > 0, --burst ≥ 1") }
        guard run.processes == 1 else { throw ValidationError("activity runs in one process (--processes 1)") }
    }

    var parameters: [String: String] {
        ["users": String(users), "friends": String(friends), "rsvps": String(rsvps), "rate": String(rate),
         "burst": String(burst)]
    }

    func run() async throws {
        let context = try RunContext(connection: connection, run: run)
        let (url, minter) = try live.resolved()
        let database = try await LoadDatabase.connect(url: url, on: context.group.next())
        let plan = ActivityPlan(users: users, friends: friends, rsvps: rsvps)
        let barrier = ChangeFeedBarrier()
        do {
            try await barrier.prepare(in: database)
            try await measure(context, database: database, plan: plan, minter: minter, barrier: barrier)
        } catch {
            await finish(context, database: database, plan: plan, barrier: barrier)
            throw error
        }
        await finish(context, database: database, plan: plan, barrier: barrier)
    }

    private func finish(_ context: RunContext, database: LoadDatabase, plan: ActivityPlan, barrier: ChangeFeedBarrier) async {
        if !live.keepRows {
            try? await database.cleanUp(users: plan.users + [barrier.user], events: plan.events, groups: [])
        }
        await database.close()
        await context.shutdown()
    }

    private func measure(
        _ context: RunContext, database: LoadDatabase, plan: ActivityPlan, minter: TokenMinter, barrier: ChangeFeedBarrier
    ) async throws {
        try SystemLimits.checkSocketBudget(needed: users, processes: 1)
        try await database.createUsers(plan.users, privacy: "public")
        try await database.createFriendships(plan.pairs)
        for event in plan.events { try await database.createEvent(event, title: "loadtest activity", capacity: nil) }
        let before = MemorySample.take(serverPid: run.serverPid)
        let target = try ClientTarget(options: connection)
        let (subscribed, stats) = await LiveSubscribers.connect(
            target: target, topics: plan.users.map { "feed:\($0.lowercased)" },
            tokens: plan.users.map { minter.token(user: $0.lowercased) }, group: context.group,
            concurrency: connection.concurrency, deadline: RunContext.deadline(in: connection.connectTimeout),
            extract: { ActivityFrame.rsvp(in: $0, plan: plan) })
        let after = MemorySample.take(serverPid: run.serverPid)
        let catchUp = try await barrier.pass(
            database: database, target: target, minter: minter, on: context.group.next(), timeout: live.catchUpTimeout)
        let rows = plan.rsvps.map { RSVPWriter.Row(user: plan.users[$0.actor], event: plan.events[$0.event]) }
        let outcome = await RSVPWriter(database: database, rate: rate, burst: burst)
            .run(rows, deadline: RunContext.deadline(in: run.maxTime - drain - 10))
        let expected = outcome.committed * friends
        let drainDeadline = RunContext.deadline(in: drain)
        while MonotonicClock.now() < drainDeadline, await subscribed.receiptCount() < expected {
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
        let analysis = ActivityAnalysis(
            plan: plan, committedAt: outcome.committedAt, receipts: await subscribed.receipts(), online: Set(subscribed.connected),
            epoch: context.epoch)
        let disconnected = subscribed.disconnected
        await subscribed.closeAll(concurrency: connection.concurrency)
        var report = RunReport(
            scenario: "activity", mode: connection.mode.rawValue, label: run.label, url: connection.url,
            startedAt: context.startedAt, processes: 1, parameters: parameters)
        report.connections = RunReport.Connections(stats, disconnected: disconnected)
        report.publishing = RunReport.Publishing(
            published: outcome.committed, failed: outcome.failed, seconds: outcome.seconds, perSecond: outcome.perSecond,
            via: "postgres")
        report.deliveries = RunReport.Deliveries(analysis.deliveries, seconds: outcome.seconds)
        report.live = LiveResults(
            rowsCommitted: outcome.committed, commitsPerSecond: outcome.perSecond, commitFailures: outcome.failed,
            commitRoundTrip: LatencySummary(outcome.roundTrip), subscribers: subscribed.connected.count,
            deliveredBeforeAck: analysis.deliveredBeforeAck, setupCatchUpSeconds: catchUp)
        report.memory = MemorySample.report(before: before, after: after, connections: stats.connected)
        if let error = outcome.firstError { report.notes.append("writer stopped: \(error)") }
        if analysis.unexpected > 0 { report.notes.append("\(analysis.unexpected) items reached a feed that should not get them") }
        report.seconds = context.elapsed
        try report.emit(
            options: run, latency: analysis.deliveries.latency, timeline: analysis.deliveries.timeline,
            bucketMilliseconds: analysis.deliveries.bucketMilliseconds)
    }
}

/// Matches the feeds' receipts with the plan: each committed RSVP is expected once at each of the actor's friends
/// (all online). Latency = receive − commit acknowledgement. Pure.
struct ActivityAnalysis {
    var deliveries = DeliveryStats()
    var unexpected = 0
    var deliveredBeforeAck = 0

    init(plan: ActivityPlan, committedAt: [UInt64], receipts: [Receipt], online: Set<Int>, epoch: UInt64) {
        var seen = Set<Int64>()
        deliveries.streams = online.count
        deliveries.expected = committedAt.count * plan.friends
        let bucketNanoseconds = UInt64(deliveries.bucketMilliseconds) * 1_000_000
        for receipt in receipts {
            let rsvp = Int(receipt.key)
            let subscriber = Int(receipt.subscriber)
            guard rsvp >= 0, rsvp < committedAt.count, plan.areFriends(subscriber, plan.rsvps[rsvp].actor) else {
                unexpected += 1
                continue
            }
            deliveries.received += 1
            guard seen.insert(Int64(rsvp) * Int64(plan.users.count) + Int64(subscriber)).inserted else {
                deliveries.duplicated += 1
                continue
            }
            let committed = committedAt[rsvp]
            if receipt.at < committed { deliveredBeforeAck += 1 }
            _ = deliveries.latency.record(max(1, receipt.at > committed ? (receipt.at - committed) / 1000 : 0))
            let bucket = Int((receipt.at &- epoch) / bucketNanoseconds)
            guard bucket >= 0, bucket < 36_000 else { continue }
            if bucket >= deliveries.timeline.count {
                deliveries.timeline += repeatElement(0, count: bucket - deliveries.timeline.count + 1)
            }
            deliveries.timeline[bucket] += 1
        }
        deliveries.lost = deliveries.expected - seen.count
    }
}
