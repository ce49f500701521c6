import Foundation

/// Commits RSVPs one row per transaction on the generator's Postgres connection, at `rate` rows a second on
/// average, in bursts of `burst` rows committed back to back (bursts `burst / rate` seconds apart; burst 1 = a
/// steady rate). Records when each commit was acknowledged: the row's commit time for the latency measurements.
struct RSVPWriter: Sendable {
    struct Row: Sendable {
        var user: UUID
        var event: UUID
    }

    struct Outcome: Sendable {
        /// Acknowledgement time (monotonic ns) of each committed row, in commit order.
        var committedAt: [UInt64] = []
        /// Issue → acknowledgement of each commit.
        var roundTrip = makeLatencyHistogram()
        var failed = 0
        var firstError: String?
        var seconds = 0.0

        var committed: Int { committedAt.count }
        var perSecond: Double { seconds > 0 ? Double(committed) / seconds : 0 }
    }

    let database: LoadDatabase
    let rate: Double
    let burst: Int

    /// Commits `rows` in order until done or `deadline`; stops at the first failure.
    func run(_ rows: [Row], deadline: UInt64) async -> Outcome {
        var outcome = Outcome()
        outcome.committedAt.reserveCapacity(rows.count)
        let start = MonotonicClock.now()
        let burstSpacing = Double(max(1, burst)) / rate
        for (index, row) in rows.enumerated() {
            let due = start + UInt64(Double(index / max(1, burst)) * burstSpacing * 1e9)
            guard due < deadline else { break }
            try? await MonotonicClock.sleep(until: due)
            let issued = MonotonicClock.now()
            do {
                try await database.commitRSVP(user: row.user, event: row.event)
            } catch {
                outcome.failed += 1
                outcome.firstError = String(describing: error)
                break
            }
            let acknowledged = MonotonicClock.now()
            outcome.committedAt.append(acknowledged)
            _ = outcome.roundTrip.record(max(1, (acknowledged - issued) / 1000))
        }
        outcome.seconds = MonotonicClock.seconds(since: start)
        return outcome
    }
}

/// Live-scenario results beyond the common deliveries: the writer's commits and what the subscribers made of them.
struct LiveResults: Codable, Sendable {
    var rowsCommitted: Int
    var commitsPerSecond: Double
    var commitFailures: Int
    /// Issue → acknowledgement of one commit on the writer's connection.
    var commitRoundTrip: LatencySummary
    var subscribers: Int
    /// Capacity: updates after the join snapshot, over all subscribers.
    var updatesReceived: Int?
    var updatesPerSubscriber: Double?
    /// Rows committed per update a subscriber received (how much coalescing folded).
    var rowsPerUpdate: Double?
    /// Capacity: receive − commit of the newest row an update includes (the commit that made `going` that value).
    var newestRowLatency: LatencySummary?
    /// Capacity: for every row, commit → the first update that includes it, at every subscriber.
    var rowVisibleLatency: LatencySummary?
    var finalGoingExpected: Int?
    var subscribersWithFinalGoing: Int?
    /// Capacity: an update whose `going` is below one received before.
    var updatesGoingBackwards: Int?
    /// Deliveries that arrived before the writer saw its commit acknowledged (latency counted as 0).
    var deliveredBeforeAck: Int
    /// Seconds the node took to work through the setup's changes (friendships, seeded rows) after the joins.
    var setupCatchUpSeconds: Double?
}
