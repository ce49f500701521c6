import Histogram

/// Latency in microseconds; 3 significant digits up to one hour.
typealias LatencyHistogram = Histogram<UInt64>

func makeLatencyHistogram() -> LatencyHistogram {
    LatencyHistogram(lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
}

/// What the receivers of one process (or, merged, of the whole run) saw.
struct DeliveryStats: Codable, Sendable {
    /// Ordered streams tracked (fanout: subscribers; chat: receiver × sender pairs).
    var streams = 0
    /// Deliveries that should have happened: over the streams, what their senders sent.
    var expected = 0
    /// Deliveries, duplicates included.
    var received = 0
    var duplicated = 0
    var outOfOrder = 0
    var lost = 0
    var streamsWithLoss = 0
    /// Frames that carried no stamp (replies, presence, heartbeats…).
    var unstamped = 0
    /// Publish → receive latency, µs.
    var latency = makeLatencyHistogram()
    /// Deliveries per bucket since the run's epoch.
    var timeline: [UInt64] = []
    var bucketMilliseconds = DeliveryStats.defaultBucketMilliseconds

    static let defaultBucketMilliseconds = 100

    mutating func merge(_ other: DeliveryStats) {
        streams += other.streams
        expected += other.expected
        received += other.received
        duplicated += other.duplicated
        outOfOrder += other.outOfOrder
        lost += other.lost
        streamsWithLoss += other.streamsWithLoss
        unstamped += other.unstamped
        latency.add(other.latency)
        if timeline.count < other.timeline.count {
            timeline.append(contentsOf: repeatElement(0, count: other.timeline.count - timeline.count))
        }
        for (index, count) in other.timeline.enumerated() { timeline[index] += count }
    }
}

/// Connection attempts of one process (or, merged, of the run).
struct ConnectionStats: Codable, Sendable {
    var attempted = 0
    var connected = 0
    var failed = 0
    /// Failure reasons → count (e.g. "upgrade refused 429", "connect timeout").
    var failures: [String: Int] = [:]
    /// Time from starting a connection to being ready (upgraded, and joined in Rally mode), µs.
    var connectLatency = makeLatencyHistogram()
    /// Seconds from the first attempt to the last success.
    var seconds = 0.0

    mutating func merge(_ other: ConnectionStats) {
        attempted += other.attempted
        connected += other.connected
        failed += other.failed
        for (reason, count) in other.failures { failures[reason, default: 0] += count }
        connectLatency.add(other.connectLatency)
        seconds = max(seconds, other.seconds)
    }
}
