import NIOCore

/// Turns what the `event:<id>` subscribers received (`going` values with receive times) and the writer's commit
/// times into the capacity measurements. Pure: the inputs are plain values.
///
/// Row k (1-based, in commit order) is the commit that made `going` reach `seeded + k`. An update showing
/// `going = g > seeded` therefore includes rows 1…g−seeded, the newest being row g−seeded: its latency is the
/// receive time minus that row's commit time. A row becomes visible at a subscriber with the first update that
/// includes it.
struct CapacityAnalysis {
    var newestRowLatency = makeLatencyHistogram()
    var rowVisibleLatency = makeLatencyHistogram()
    var updates = 0
    var subscribersWithFinalGoing = 0
    var goingBackwards = 0
    var deliveredBeforeAck = 0
    /// Updates whose `going` exceeds anything the writer committed (another writer, or a wrong count).
    var unexplained = 0
    /// Updates per second over the run, in `bucketMilliseconds` buckets from `epoch`.
    var timeline: [UInt64] = []

    init(seeded: Int, committedAt: [UInt64], receipts: [Receipt], subscribers: [Int], epoch: UInt64) {
        var bySubscriber: [Int32: [Receipt]] = [:]
        for receipt in receipts { bySubscriber[receipt.subscriber, default: []].append(receipt) }
        let finalGoing = seeded + committedAt.count
        for subscriber in subscribers {
            let seen = (bySubscriber[Int32(subscriber)] ?? []).sorted { $0.at < $1.at }
            if seen.last.map({ Int($0.key) == finalGoing }) ?? (committedAt.isEmpty) { subscribersWithFinalGoing += 1 }
            measure(seen, seeded: seeded, committedAt: committedAt, epoch: epoch)
        }
    }

    private mutating func measure(_ seen: [Receipt], seeded: Int, committedAt: [UInt64], epoch: UInt64) {
        var visibleRows = 0
        var highest = Int.min
        for receipt in seen {
            let going = Int(receipt.key)
            if going < highest { goingBackwards += 1 }
            highest = max(highest, going)
            let rows = going - seeded
            guard rows > 0 else { continue }  // the join snapshot
            updates += 1
            count(at: receipt.at, epoch: epoch)
            guard rows <= committedAt.count else {
                unexplained += 1
                continue
            }
            if receipt.at < committedAt[rows - 1] { deliveredBeforeAck += 1 }
            _ = newestRowLatency.record(Self.microseconds(from: committedAt[rows - 1], to: receipt.at))
            while visibleRows < rows {
                _ = rowVisibleLatency.record(Self.microseconds(from: committedAt[visibleRows], to: receipt.at))
                visibleRows += 1
            }
        }
    }

    /// Commit → receive in µs for the histograms (at least 1; a receive before the acknowledgement counts as 0).
    private static func microseconds(from committed: UInt64, to received: UInt64) -> UInt64 {
        let microseconds = received > committed ? (received - committed) / 1000 : 0
        return max(1, min(microseconds, 3_600_000_000))
    }

    private mutating func count(at time: UInt64, epoch: UInt64) {
        let bucket = Int((time &- epoch) / (UInt64(DeliveryStats.defaultBucketMilliseconds) * 1_000_000))
        guard bucket >= 0, bucket < 36_000 else { return }
        if bucket >= timeline.count { timeline += repeatElement(0, count: bucket - timeline.count + 1) }
        timeline[bucket] += 1
    }
}

/// Finds `"going":<n>` in a received frame (a `capacity` broadcast); nil for any other frame.
enum CapacityFrame {
    private static let goingKey = Array("\"going\":".utf8)

    static func going(in buffer: ByteBuffer) -> Int64? {
        buffer.withUnsafeReadableBytes { bytes in PayloadScanner.integer(after: goingKey, in: bytes).map { Int64($0) } }
    }
}
