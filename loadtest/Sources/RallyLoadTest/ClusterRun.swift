import NIOCore

/// Runs the cluster scenario: subscribers on every node, one publisher (a node's socket or HTTP API, or Redis),
/// then the exact counts, the latency and the CPU every node (and Redis) used per delivery.
struct ClusterRun {
    let command: ClusterCommand
    let context: RunContext

    /// CPU of every node's process tree and of Redis at one moment.
    struct CPUReadings {
        var nodes: [Double?]
        var redis: Double?
        var sample: CPUSample

        static func take(nodes pids: [Int32], redis: Int32?) -> CPUReadings {
            CPUReadings(nodes: pids.map { ProcessCPU.treeSeconds(pid: $0) }, redis: redis.flatMap { ProcessCPU.treeSeconds(pid: $0) },
                        sample: CPUSample.take(serverPids: pids))
        }
    }

    func run() async throws {
        let pids = command.run.serverPids
        try SystemLimits.checkSocketBudget(needed: command.subscribers + 2, processes: 1)
        let subscribers = try await ClusterSubscribers(
            nodes: command.nodes, topic: command.topic, count: command.subscribers, group: context.group, epoch: context.epoch)
        let connections = await subscribers.connect(
            concurrency: command.nodes.concurrency, deadline: RunContext.deadline(in: command.nodes.connectTimeout))
        let publisher = try await ClusterPublisherFactory.make(command, group: context.group)
        let before = CPUReadings.take(nodes: pids, redis: command.redisPid)
        var (publishing, notes) = await publishAll(publisher, subscribers: subscribers, connected: connections.connected)
        await subscribers.waitUntilDelivered(published: publishing.published, deadline: RunContext.deadline(in: command.drain))
        let seconds = MonotonicClock.seconds(since: publishing.start)
        let after = CPUReadings.take(nodes: pids, redis: command.redisPid)
        let perNode = await subscribers.summaries(published: publishing.published)
        let disconnected = subscribers.disconnected
        if let redis = publisher as? RedisStampPublisher, redis.publishesShortOfReceivers > 0 {
            notes.append("\(redis.publishesShortOfReceivers) PUBLISHes reached fewer rally:in subscribers than there are nodes")
        }
        await publisher.close()
        await subscribers.closeAll(concurrency: command.nodes.concurrency)
        var total = DeliveryStats()
        for part in perNode { total.merge(part) }
        var report = RunReport(
            scenario: "cluster", mode: command.nodes.mode.rawValue, label: command.run.label,
            url: command.nodes.nodes.joined(separator: ","), startedAt: context.startedAt, processes: 1,
            parameters: command.parameters)
        report.connections = RunReport.Connections(connections, disconnected: disconnected)
        report.publishing = publishing.summary
        report.deliveries = RunReport.Deliveries(total, seconds: seconds)
        report.cpu = CPUSample.report(from: before.sample, to: after.sample)
        report.cluster = results(
            nodes: subscribers.shares.map(\.node), perNode: perNode, received: total.received,
            published: publishing.published, before: before, after: after)
        report.notes = notes
        report.seconds = context.elapsed
        try report.emit(options: command.run, latency: total.latency, timeline: total.timeline,
                        bucketMilliseconds: total.bucketMilliseconds)
    }

    /// Publishes `--messages` stamps (bounded by `--duration`): pipelined with at most `--window` in flight, or one at
    /// a time (each waits for its answer); paced at `--rate` when it is set.
    private func publishAll(_ publisher: StampPublisher, subscribers: ClusterSubscribers, connected: Int) async
        -> (PublishOutcome, [String])
    {
        var outcome = PublishOutcome(via: command.publisherName)
        var errors = ErrorTally()
        let deadline = RunContext.deadline(in: command.duration)
        var lowest = -1
        var pending: [EventLoopFuture<Void>] = []
        for seq in 0..<command.messages {
            if command.rate > 0 {
                try? await MonotonicClock.sleep(until: outcome.start + UInt64(Double(seq) / command.rate * 1e9))
            }
            while !command.oneAtATime, connected > 0, seq - lowest > command.window, MonotonicClock.now() < deadline {
                lowest = await subscribers.lowestHighestSeen()
                if seq - lowest > command.window { try? await Task.sleep(nanoseconds: 100_000) }
            }
            guard MonotonicClock.now() < deadline else { break }
            pending.append(publisher.publish(Stamp(seq: seq, sentAt: MonotonicClock.now())))
            outcome.published += 1
            if command.oneAtATime || pending.count >= 256 { await errors.settle(&pending) }
        }
        await errors.settle(&pending)
        outcome.end = MonotonicClock.now()
        outcome.failed = errors.failed
        return (outcome, errors.notes)
    }

    private func results(
        nodes urls: [String], perNode: [DeliveryStats], received: Int, published: Int, before: CPUReadings,
        after: CPUReadings
    ) -> ClusterResults {
        let nodes = zip(urls, perNode).map { ClusterResults.Node(url: $0, stats: $1) }
        let nodeCPU = zip(command.run.serverPids, zip(before.nodes, after.nodes)).map { pid, pair in
            ClusterResults.NodeCPU(pid: pid, seconds: ClusterResults.used(pair.0, pair.1))
        }
        let server = before.sample.server.flatMap { start in after.sample.server.map { $0 - start } }
        let redis = before.redis.flatMap { start in after.redis.map { $0 - start } }
        let publishNode = command.via == .redis ? nil : (command.publishNode ?? command.nodes.nodes.first)
        return ClusterResults(
            via: command.publisherName, style: command.style, publishNode: publishNode,
            publishedBytes: publishedBytes(), nodes: nodes,
            nodeCPU: nodeCPU, serverCPUSeconds: server.map(ClusterResults.rounded), redisCPUSeconds: redis.map(ClusterResults.rounded),
            serverMicrosecondsPerDelivery: ClusterResults.micros(server, per: received),
            redisMicrosecondsPerDelivery: ClusterResults.micros(redis, per: received),
            serverMicrosecondsPerPublish: ClusterResults.micros(server, per: published),
            redisMicrosecondsPerPublish: ClusterResults.micros(redis, per: published))
    }

    /// Bytes of one stamped payload as published (the JSON envelope for Redis, the payload object otherwise).
    private func publishedBytes() -> Int {
        let stamp = Stamp(seq: command.messages / 2, sentAt: MonotonicClock.now())
        let payload = stamp.jsonValue(padTo: command.payloadSize).serializedBuffer().readableBytes
        guard command.via == .redis else { return payload }
        return payload + "{\"topic\":\"\",\"event\":\"load\",\"payload\":}".utf8.count + command.topic.utf8.count
    }
}

/// Publish failures: how many, and the first few reasons (for the notes).
struct ErrorTally {
    var failed = 0
    var notes: [String] = []

    mutating func settle(_ pending: inout [EventLoopFuture<Void>]) async {
        for future in pending {
            do {
                try await future.get()
            } catch {
                failed += 1
                if notes.count < 3 { notes.append("publish failed: \(error)") }
            }
        }
        pending.removeAll(keepingCapacity: true)
    }
}
