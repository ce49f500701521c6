import NIOCore
import NIOPosix
import RallyClient

/// The subscribers of one generator process in the fanout scenario: `count` connections to one
/// topic, spread round robin over the event loops, each loop with its own `DeliveryRecorder`.
final class FanoutSubscribers: Sendable {
    let target: ClientTarget
    let topic: String
    let count: Int
    /// Global index of the first subscriber (so processes spread over different source addresses).
    let firstIndex: Int
    private let loops: [EventLoop]
    private let recorders: [DeliveryRecorder]
    private let clients = Locked<[LoadClient]>([])

    init(target: ClientTarget, topic: String, count: Int, firstIndex: Int, group: EventLoopGroup, epoch: UInt64) async throws {
        self.target = target
        self.topic = topic
        self.count = count
        self.firstIndex = firstIndex
        let loops = Array(group.makeIterator())
        self.loops = loops
        self.recorders = loops.map { DeliveryRecorder(eventLoop: $0, epoch: epoch) }
        for (loopIndex, recorder) in recorders.enumerated() {
            let share = Self.subscribers(onLoop: loopIndex, loops: loops.count, total: count)
            _ = try await recorder.eventLoop.submit { recorder.addStreams(share) }.get()
        }
    }

    private static func subscribers(onLoop loop: Int, loops: Int, total: Int) -> Int {
        total / loops + (loop < total % loops ? 1 : 0)
    }

    /// Opens every subscriber (joined, in Rally mode). Failed ones are left out of the delivery counts.
    func connect(concurrency: Int, deadline: UInt64) async -> ConnectionStats {
        let (opened, stats) = await ConnectionPool.connectAll(count: count, concurrency: concurrency, deadline: deadline) {
            [self] index in
            let recorder = recorders[index % loops.count]
            let slot = index / loops.count
            return target.connect(
                index: firstIndex + index, topic: topic, on: recorder.eventLoop,
                onStamp: { recorder.record(slot: slot, stamp: $0) }, onOther: { recorder.recordUnstamped() })
        }
        for (index, client) in opened.enumerated() where client == nil {
            let recorder = recorders[index % loops.count]
            let slot = index / loops.count
            try? await recorder.eventLoop.submit { recorder.deactivate(slots: slot..<slot + 1) }.get()
        }
        clients.withValue { $0 = opened.compactMap { $0 } }
        return stats
    }

    /// The lowest sequence number every connected subscriber has reached (-1: someone has none yet).
    func lowestHighestSeen() async -> Int {
        var lowest = Int.max
        for recorder in recorders {
            let value = (try? await recorder.eventLoop.submit { recorder.lowestHighestSeen() }.get()) ?? -1
            lowest = min(lowest, value)
        }
        return lowest
    }

    /// Waits until every subscriber has seen message `published - 1`, or until `deadline`.
    func waitUntilDelivered(published: Int, deadline: UInt64) async {
        while MonotonicClock.now() < deadline {
            if await lowestHighestSeen() >= published - 1 { return }
            try? await Task.sleep(nanoseconds: 5_000_000)
        }
    }

    /// Merged counts of every loop; `published` messages numbered 0..<published were sent.
    func summary(published: Int) async -> DeliveryStats {
        var total = DeliveryStats()
        for recorder in recorders {
            if let part = try? await recorder.eventLoop.submit({ recorder.summary(sent: { _ in published }) }).get() {
                total.merge(part)
            }
        }
        return total
    }

    /// Connections that are no longer open.
    var disconnected: Int { clients.current.filter { !$0.socket.isActive }.count }

    func closeAll(concurrency: Int) async {
        await ConnectionPool.closeAll(clients.current, concurrency: concurrency)
    }
}
