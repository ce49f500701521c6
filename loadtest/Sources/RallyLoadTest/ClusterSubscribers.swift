import NIOCore

/// The subscribers of a cluster run, spread evenly over the nodes (as round robin would: each node gets total/N, the
/// first total%N one more); each node's share is a `FanoutSubscribers` of its own, so deliveries are counted per
/// node as well as in total.
struct ClusterSubscribers: Sendable {
    struct Share: Sendable {
        let node: String
        let subscribers: FanoutSubscribers
    }

    let shares: [Share]

    init(nodes: ClusterNodeOptions, topic: String, count: Int, group: EventLoopGroup, epoch: UInt64) async throws {
        var shares: [Share] = []
        var first = 0
        for (index, node) in nodes.nodes.enumerated() {
            let (share, _) = RunContext.share(of: count, shard: index, shards: nodes.nodes.count)
            guard share > 0 else { continue }
            let subscribers = try await FanoutSubscribers(
                target: try nodes.target(node: node), topic: topic, count: share, firstIndex: first, group: group,
                epoch: epoch)
            shares.append(Share(node: node, subscribers: subscribers))
            first += share
        }
        self.shares = shares
    }

    /// Opens every node's share, the nodes one after the other (each at `concurrency`).
    func connect(concurrency: Int, deadline: UInt64) async -> ConnectionStats {
        var total = ConnectionStats()
        var seconds = 0.0
        for share in shares {
            let stats = await share.subscribers.connect(concurrency: concurrency, deadline: deadline)
            seconds += stats.seconds
            total.merge(stats)
        }
        total.seconds = seconds
        return total
    }

    /// The lowest sequence number every subscriber on every node has reached (-1: someone has none yet).
    func lowestHighestSeen() async -> Int {
        var lowest = Int.max
        for share in shares { lowest = min(lowest, await share.subscribers.lowestHighestSeen()) }
        return lowest
    }

    /// Waits until every subscriber has seen message `published - 1`, or until `deadline`.
    func waitUntilDelivered(published: Int, deadline: UInt64) async {
        while MonotonicClock.now() < deadline {
            if await lowestHighestSeen() >= published - 1 { return }
            try? await Task.sleep(nanoseconds: 5_000_000)
        }
    }

    /// Each node's counts, in the order of `shares`.
    func summaries(published: Int) async -> [DeliveryStats] {
        var result: [DeliveryStats] = []
        for share in shares { result.append(await share.subscribers.summary(published: published)) }
        return result
    }

    var disconnected: Int { shares.map(\.subscribers.disconnected).reduce(0, +) }

    func closeAll(concurrency: Int) async {
        for share in shares { await share.subscribers.closeAll(concurrency: concurrency) }
    }
}
