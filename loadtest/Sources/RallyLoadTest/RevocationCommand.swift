import ArgumentParser
import Foundation
import NIOCore
import PostgresNIO

/// A busy node losing a right: N subscribers of one public `event:`, V viewers each on the friends-only profile of a
/// friend. The writer commits a burst of unrelated friend requests, then unfriends every viewer; meanwhile a second
/// connection commits RSVPs to the event at a steady rate until every viewer was revoked. Measured: unfriend commit
/// → the viewer's channel closed, and RSVP commit → capacity update while the node works through the burst.
struct RevocationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revocation",
        abstract: "Live revocation on a busy node: unfriend → channel closed behind a burst of friendship changes, and capacity updates meanwhile.",
        discussion: "Needs a Rally node serving --database-url (RALLY_DATABASE_URL) with the --jwt-secret it verifies. One process.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var run: RunOptions
    @OptionGroup var live: LiveOptions

    @Option(help: "Subscribers of the public event (signed-in strangers of everyone).")
    var subscribers = 1000
    @Option(help: "Viewers, each on the friends-only profile of a friend; each is unfriended after the burst.")
    var viewers = 20
    @Option(help: "Friend requests between other users committed back to back before the unfriends.")
    var burst = 50
    @Option(help: "At most this many RSVPs to the event, committed from the burst's start until every viewer was revoked (their capacity updates are timed).")
    var rsvps = 200
    @Option(help: "RSVPs committed per second (a second connection, beside the burst and the unfriends).")
    var rsvpRate: Double = 10
    @Option(help: "Seconds the RSVPs go on at least (from the burst's start), however soon the viewers are revoked.")
    var rsvpSeconds: Double = 3
    @Option(help: "Seconds to wait for the last revocation and capacity update after the last commit.")
    var drain: Double = 30

    func validate() throws {
        guard subscribers >= 1, viewers >= 1, burst >= 0, rsvps >= 0, rsvpRate > 0 else {
            throw ValidationError("need --subscribers ≥ 1, --viewers ≥ 1, --burst ≥ 0, --rsvps ≥ 0, --rsvp-rate > 0")
        }
        guard run.processes == 1 else { throw ValidationError("revocation runs in one process (--processes 1)") }
    }

    var parameters: [String: String] {
        ["subscribers": String(subscribers), "viewers": String(viewers), "burst": String(burst), "rsvps": String(rsvps),
         "rsvp_rate": String(rsvpRate), "rsvp_seconds": String(rsvpSeconds)]
    }

    func run() async throws {
        let context = try RunContext(connection: connection, run: run)
        let (url, minter) = try live.resolved()
        let database = try await LoadDatabase.connect(url: url, on: context.group.next())
        let rsvpDatabase: LoadDatabase
        do { rsvpDatabase = try await LoadDatabase.connect(url: url, on: context.group.next()) } catch {
            await database.close()
            throw error
        }
        let event = UUID()
        let people = People(viewers: viewers, burst: burst, rsvps: rsvps)
        let barrier = ChangeFeedBarrier()
        do {
            try await barrier.prepare(in: database)
            try await measure(context, database: database, rsvpDatabase: rsvpDatabase, event: event, people: people,
                              minter: minter, barrier: barrier)
        } catch {
            await rsvpDatabase.close()
            await finish(database, context, users: people.all + [barrier.user], event: event)
            throw error
        }
        await rsvpDatabase.close()
        await finish(database, context, users: people.all + [barrier.user], event: event)
    }

    struct People {
        var viewers: [UUID], owners: [UUID], requesters: [UUID], requested: [UUID], attendees: [UUID]
        init(viewers: Int, burst: Int, rsvps: Int) {
            func make(_ count: Int) -> [UUID] { (0..<count).map { _ in UUID() } }
            (self.viewers, owners, requesters, requested, attendees) =
                (make(viewers), make(viewers), make(burst), make(burst), make(rsvps))
        }
        var all: [UUID] { viewers + owners + requesters + requested + attendees }
    }

    private func finish(_ database: LoadDatabase, _ context: RunContext, users: [UUID], event: UUID) async {
        if !live.keepRows { try? await database.cleanUp(users: users, events: [event], groups: []) }
        await database.close()
        await context.shutdown()
    }

    private static let revokedKey = Array("no longer have permission".utf8)

    private func measure(
        _ context: RunContext, database: LoadDatabase, rsvpDatabase: LoadDatabase, event: UUID, people: People,
        minter: TokenMinter, barrier: ChangeFeedBarrier
    ) async throws {
        try SystemLimits.checkSocketBudget(needed: subscribers + viewers, processes: 1)
        try await database.createUsers(people.owners, privacy: "friends_only")
        try await database.createUsers(people.viewers + people.requesters + people.requested + people.attendees,
                                       privacy: "public")
        try await database.createFriendships(Array(zip(people.viewers, people.owners)))
        try await database.createEvent(event, title: "loadtest revocation", capacity: rsvps + 100)
        let target = try ClientTarget(options: connection)
        let (audience, stats) = await LiveSubscribers.connect(
            target: target, topics: Array(repeating: "event:\(event.lowercased)", count: subscribers),
            tokens: (0..<subscribers).map { _ in minter.token(user: UUID().lowercased) }, group: context.group,
            concurrency: connection.concurrency, deadline: RunContext.deadline(in: connection.connectTimeout),
            extract: { CapacityFrame.going(in: $0) })
        let (watchers, watcherStats) = await LiveSubscribers.connect(
            target: target, topics: people.owners.map { "profile:\($0.lowercased)" },
            tokens: people.viewers.map { minter.token(user: $0.lowercased) }, group: context.group,
            concurrency: connection.concurrency, deadline: RunContext.deadline(in: connection.connectTimeout),
            extract: { frame in
                frame.withUnsafeReadableBytes { PayloadScanner.find(Self.revokedKey, in: $0) } != nil ? 1 : nil
            })
        guard watcherStats.connected == viewers else {
            throw LoadTestError("\(viewers - watcherStats.connected) viewers could not join their friend's profile")
        }
        let catchUp = try await barrier.pass(
            database: database, target: target, minter: minter, on: context.group.next(), timeout: live.catchUpTimeout)

        // The RSVPs at a steady rate on their own connection, from the burst's start until every viewer was revoked.
        let stopRSVPs = Locked(false)
        let rsvpWriter = Task { [rsvps, rsvpRate, attendees = people.attendees] () -> [UInt64] in
            var commits: [UInt64] = []
            let start = MonotonicClock.now()
            for index in 0..<rsvps {
                try? await MonotonicClock.sleep(until: start + UInt64(Double(index) / rsvpRate * 1e9))
                if stopRSVPs.withValue({ $0 }) { break }
                do { try await rsvpDatabase.commitRSVP(user: attendees[index], event: event) } catch { break }
                commits.append(MonotonicClock.now())
            }
            return commits
        }
        // The writer: the burst, then the unfriends, each its own transaction.
        var unfriendCommits: [UInt64] = []
        let start = MonotonicClock.now()
        for index in 0..<burst {
            try await database.commitFriendRequest(from: people.requesters[index], to: people.requested[index])
        }
        let burstSeconds = MonotonicClock.seconds(since: start)
        for (viewer, owner) in zip(people.viewers, people.owners) {
            try await database.commitUnfriend(viewer, owner)
            unfriendCommits.append(MonotonicClock.now())
        }
        let drainDeadline = RunContext.deadline(in: drain)
        let rsvpsUntil = start + UInt64(rsvpSeconds * 1e9)
        while MonotonicClock.now() < drainDeadline,
              await watchers.count(withLatest: 1) < viewers || MonotonicClock.now() < rsvpsUntil {
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
        stopRSVPs.withValue { $0 = true }
        let rsvpCommits = await rsvpWriter.value
        let online = audience.connected.count
        let countDeadline = RunContext.deadline(in: 10)
        while MonotonicClock.now() < countDeadline, await audience.count(withLatest: Int64(rsvpCommits.count)) < online {
            try? await Task.sleep(nanoseconds: 10_000_000)
        }

        var revocation = makeLatencyHistogram()
        var revoked = 0
        for receipt in await watchers.receipts() where receipt.key == 1 {
            let committed = unfriendCommits[Int(receipt.subscriber)]
            _ = revocation.record(receipt.at > committed ? (receipt.at - committed) / 1000 : 0)
            revoked += 1
        }
        var capacity = makeLatencyHistogram()
        var bySubscriber: [Int32: [Receipt]] = [:]
        for receipt in await audience.receipts() { bySubscriber[receipt.subscriber, default: []].append(receipt) }
        for receipts in bySubscriber.values {
            let ordered = receipts.sorted { $0.at < $1.at }
            for (row, committed) in rsvpCommits.enumerated() {
                guard let seen = ordered.first(where: { $0.key >= Int64(row + 1) }) else { continue }
                _ = capacity.record(seen.at > committed ? (seen.at - committed) / 1000 : 0)
            }
        }
        await audience.closeAll(concurrency: connection.concurrency)
        await watchers.closeAll(concurrency: connection.concurrency)

        var report = RunReport(
            scenario: "revocation", mode: connection.mode.rawValue, label: run.label, url: connection.url,
            startedAt: context.startedAt, processes: 1, parameters: parameters)
        report.connections = RunReport.Connections(stats)
        report.revocation = RevocationResults(
            subscribers: online, viewers: viewers, friendshipChanges: burst, burstSeconds: burstSeconds,
            unfriends: unfriendCommits.count, revoked: revoked, unfriendToClosed: LatencySummary(revocation),
            rsvps: rsvpCommits.count, rsvpToCapacityUpdate: LatencySummary(capacity), setupCatchUpSeconds: catchUp)
        if revoked < viewers { report.notes.append("\(viewers - revoked) viewers were not revoked within the drain") }
        report.seconds = context.elapsed
        try report.emit(options: run, latency: revocation, timeline: nil, bucketMilliseconds: DeliveryStats.defaultBucketMilliseconds)
    }
}

/// What a revocation run measured.
struct RevocationResults: Codable, Sendable {
    var subscribers: Int
    var viewers: Int
    var friendshipChanges: Int
    var burstSeconds: Double
    var unfriends: Int
    var revoked: Int
    /// Unfriend commit acknowledged → the viewer got the revocation (`system` error) on its profile channel.
    var unfriendToClosed: LatencySummary
    var rsvps: Int
    /// RSVP commit acknowledged → a subscriber of the event saw a `going` count including it (every subscriber).
    var rsvpToCapacityUpdate: LatencySummary
    var setupCatchUpSeconds: Double

    var summaryLines: [String] {
        func line(_ summary: LatencySummary) -> String {
            "p50 \(summary.p50Ms) ms, p90 \(summary.p90Ms), p99 \(summary.p99Ms), max \(summary.maxMs) (n=\(summary.count))"
        }
        return [
            "burst        \(friendshipChanges) friendship changes in \(String(format: "%.2f", burstSeconds)) s; \(rsvps) RSVPs beside them",
            "revoked      \(revoked)/\(unfriends) viewers; unfriend → closed " + line(unfriendToClosed),
            "capacity     RSVP → update at \(subscribers) subscribers " + line(rsvpToCapacityUpdate),
        ]
    }
}

extension LoadDatabase {
    private static let writerLogger = Logger(label: "rally-loadtest.postgres")

    /// A pending friend request, committed on its own.
    func commitFriendRequest(from user: UUID, to friend: UUID) async throws {
        try await connection.query("""
            INSERT INTO friendships (user_id, friend_id, status, initiated_by) VALUES (\(user), \(friend), 'pending', \(user))
            """, logger: Self.writerLogger)
    }

    /// Removes the friendship rows between two people (either direction), committed on its own.
    func commitUnfriend(_ a: UUID, _ b: UUID) async throws {
        try await connection.query("""
            DELETE FROM friendships WHERE (user_id = \(a) AND friend_id = \(b)) OR (user_id = \(b) AND friend_id = \(a))
            """, logger: Self.writerLogger)
    }
}
