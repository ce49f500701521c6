import NIOCore

/// Receive-side bookkeeping for the connections of one event loop: sequence trackers, the latency
/// histogram and deliveries over time. Only touched on its event loop (the receive callbacks run
/// there and results are read with `eventLoop.submit`), hence `@unchecked Sendable`.
final class DeliveryRecorder: @unchecked Sendable {
    let eventLoop: EventLoop
    private let epoch: UInt64
    private let bucketNanoseconds: UInt64
    private var trackers: [SequenceTracker] = []
    /// False for streams whose connection never opened: they are left out of every count.
    private var active: [Bool] = []
    private var stats = DeliveryStats()
    /// Upper bound on timeline buckets (one hour of 100 ms buckets).
    private static let maxBuckets = 36_000

    init(eventLoop: EventLoop, epoch: UInt64) {
        self.eventLoop = eventLoop
        self.epoch = epoch
        self.bucketNanoseconds = UInt64(DeliveryStats.defaultBucketMilliseconds) * 1_000_000
    }

    /// Reserves `count` consecutive stream slots and returns the first one.
    func addStreams(_ count: Int) -> Int {
        eventLoop.preconditionInEventLoop()
        let first = trackers.count
        trackers.append(contentsOf: repeatElement(SequenceTracker(), count: count))
        active.append(contentsOf: repeatElement(true, count: count))
        return first
    }

    /// Records one stamped delivery on stream `slot`.
    @inline(__always)
    func record(slot: Int, stamp: Stamp) {
        let now = MonotonicClock.now()
        trackers[slot].record(stamp.seq)
        stats.received += 1
        let latency = now > stamp.sentAt ? (now - stamp.sentAt) / 1000 : 0
        _ = stats.latency.record(min(latency, 3_600_000_000))
        let bucket = Int((now &- epoch) / bucketNanoseconds)
        guard bucket >= 0, bucket < Self.maxBuckets else { return }
        if bucket >= stats.timeline.count {
            stats.timeline.append(contentsOf: repeatElement(0, count: bucket - stats.timeline.count + 1))
        }
        stats.timeline[bucket] += 1
    }

    func deactivate(slots: Range<Int>) {
        eventLoop.preconditionInEventLoop()
        for slot in slots { active[slot] = false }
    }

    func recordUnstamped() {
        stats.unstamped += 1
    }

    /// The lowest "highest sequence seen" over all streams (-1 if one has seen nothing).
    func lowestHighestSeen() -> Int {
        eventLoop.preconditionInEventLoop()
        var lowest = Int.max
        for (slot, tracker) in trackers.enumerated() where active[slot] { lowest = min(lowest, tracker.highest) }
        return lowest
    }

    /// True when every active stream has seen the last message its sender sent.
    func caughtUp(sent: (Int) -> Int) -> Bool {
        eventLoop.preconditionInEventLoop()
        for (slot, tracker) in trackers.enumerated() where active[slot] && tracker.highest < sent(slot) - 1 { return false }
        return true
    }

    /// Final counts, given how many messages were sent on each stream.
    func summary(sent: (Int) -> Int) -> DeliveryStats {
        eventLoop.preconditionInEventLoop()
        var result = stats
        result.streams = 0
        for (slot, tracker) in trackers.enumerated() where active[slot] {
            result.streams += 1
            result.expected += sent(slot)
            let lost = tracker.lost(sent: sent(slot))
            result.lost += lost
            result.duplicated += tracker.duplicated
            result.outOfOrder += tracker.outOfOrder
            if lost > 0 { result.streamsWithLoss += 1 }
        }
        return result
    }
}
