import Foundation
import NIOCore
import RallyClient

/// Where the subscribers live: in this process, or in child processes.
enum SubscriberSide: Sendable {
    case local(FanoutSubscribers)
    case children(ChildGroup)

    func lowest() async -> Int {
        switch self {
        case .local(let subscribers): return await subscribers.lowestHighestSeen()
        case .children(let group): return group.lowest
        }
    }
}

/// Runs the fanout scenario: subscribers, publisher, window, results.
struct FanoutParent {
    let command: FanoutCommand
    let context: RunContext

    func run() async throws {
        let target = try ClientTarget(options: command.connection)
        let memoryBefore = MemorySample.take(serverPid: command.run.serverPid)
        let connectDeadline = RunContext.deadline(in: command.connection.connectTimeout)
        let (side, connections) = try await startSubscribers(target: target, deadline: connectDeadline)
        let memoryAfter = MemorySample.take(serverPid: command.run.serverPid)
        let publisher = try await makePublisher(target: target)
        let cpuBefore = CPUSample.take(serverPid: command.run.serverPid)
        let publishing = await publishAll(publisher, side: side, subscribers: connections.connected)
        let (deliveries, disconnected, notes) = await collect(side, published: publishing.published, publishStart: publishing.start)
        let cpuAfter = CPUSample.take(serverPid: command.run.serverPid)
        await publisher.close()
        var report = RunReport(
            scenario: "fanout", mode: command.connection.mode.rawValue, label: command.run.label, url: command.connection.url,
            startedAt: context.startedAt, processes: context.shards, parameters: command.parameters)
        report.connections = RunReport.Connections(connections, disconnected: disconnected)
        report.publishing = publishing.summary
        report.deliveries = RunReport.Deliveries(deliveries.stats, seconds: deliveries.seconds)
        report.memory = MemorySample.report(before: memoryBefore, after: memoryAfter, connections: connections.connected)
        report.cpu = CPUSample.report(from: cpuBefore, to: cpuAfter, deliveries: deliveries.stats.received)
        report.notes = notes
        report.seconds = context.elapsed
        try report.emit(
            options: command.run, latency: deliveries.stats.latency, timeline: deliveries.stats.timeline,
            bucketMilliseconds: deliveries.stats.bucketMilliseconds)
    }

    private func startSubscribers(target: ClientTarget, deadline: UInt64) async throws -> (SubscriberSide, ConnectionStats) {
        guard context.shards > 1 else {
            try SystemLimits.checkSocketBudget(needed: command.subscribers + command.publishConnections + 1, processes: 1)
            let subscribers = try await FanoutSubscribers(
                target: target, topic: command.topic, count: command.subscribers, firstIndex: 0, group: context.group,
                epoch: context.epoch)
            let stats = await subscribers.connect(concurrency: command.connection.concurrency, deadline: deadline)
            return (.local(subscribers), stats)
        }
        let (group, stats) = try await ChildGroup.start(
            count: context.shards, epoch: context.epoch, readyDeadline: deadline + 30_000_000_000)
        return (.children(group), stats)
    }

    private func makePublisher(target: ClientTarget) async throws -> StampPublisher {
        let url = try publishURL(target: target)
        switch command.publish {
        case .http:
            let rallyTopic = command.connection.mode == .raw ? nil : command.topic
            return try await HTTPStampPublisher(
                url: url, rallyTopic: rallyTopic, token: command.connection.token, payloadSize: command.payloadSize,
                connections: command.publishConnections, group: context.group)
        case .ws:
            var publisherTarget = target
            publisherTarget = publisherTarget.with(urlTemplate: url)
            let join = JoinOptions(broadcastAck: command.oneAtATime)
            let client = try await publisherTarget.connect(
                index: command.subscribers, topic: command.topic, join: join, on: context.group.next(),
                onStamp: { _ in }, onOther: {}
            ).get()
            if command.oneAtATime { return AckedWebSocketPublisher(client: client, payloadSize: command.payloadSize) }
            return WebSocketStampPublisher(client: client, payloadSize: command.payloadSize)
        }
    }

    private func publishURL(target: ClientTarget) throws -> String {
        let template = command.publishUrl ?? {
            guard command.publish == .http, let url = try? target.url(topic: command.topic) else { return target.urlTemplate }
            return "http://\(url.hostHeader)/api/broadcast"
        }()
        return template.replacingOccurrences(of: "{topic}", with: command.topic)
    }

    /// Publishes `--messages` stamps (bounded by `--duration`), keeping at most `--window` in flight; with
    /// `--one-at-a-time` each publish is also answered (202 or ack) before the next is sent.
    private func publishAll(_ publisher: StampPublisher, side: SubscriberSide, subscribers: Int) async -> PublishOutcome {
        var outcome = PublishOutcome(via: command.publish.rawValue + ", " + command.style)
        let deadline = RunContext.deadline(in: command.duration)
        var lowest = -1
        var pending: [EventLoopFuture<Void>] = []
        for seq in 0..<command.messages {
            if command.rate > 0 {
                try? await MonotonicClock.sleep(until: outcome.start + UInt64(Double(seq) / command.rate * 1e9))
            }
            let window = command.effectiveWindow
            while subscribers > 0, seq - lowest > window, MonotonicClock.now() < deadline {
                lowest = await side.lowest()
                if seq - lowest > window { try? await Task.sleep(nanoseconds: 100_000) }
            }
            guard MonotonicClock.now() < deadline else { break }
            pending.append(publisher.publish(Stamp(seq: seq, sentAt: MonotonicClock.now())))
            outcome.published += 1
            if command.oneAtATime || pending.count >= 256 { outcome.failed += await Self.settle(&pending) }
        }
        outcome.failed += await Self.settle(&pending)
        outcome.end = MonotonicClock.now()
        return outcome
    }

    /// Waits for the publishes in flight; returns how many failed.
    private static func settle(_ pending: inout [EventLoopFuture<Void>]) async -> Int {
        var failed = 0
        for future in pending {
            do { try await future.get() } catch { failed += 1 }
        }
        pending.removeAll(keepingCapacity: true)
        return failed
    }

    private func collect(_ side: SubscriberSide, published: Int, publishStart: UInt64) async
        -> (deliveries: (stats: DeliveryStats, seconds: Double), disconnected: Int, notes: [String])
    {
        switch side {
        case .local(let subscribers):
            await subscribers.waitUntilDelivered(published: published, deadline: RunContext.deadline(in: command.drain))
            let seconds = MonotonicClock.seconds(since: publishStart)
            let stats = await subscribers.summary(published: published)
            let disconnected = subscribers.disconnected
            await subscribers.closeAll(concurrency: command.connection.concurrency)
            return ((stats, seconds), disconnected, [])
        case .children(let group):
            let drainDeadline = RunContext.deadline(in: command.drain)
            while group.lowest < published - 1, MonotonicClock.now() < drainDeadline {
                try? await Task.sleep(nanoseconds: 2_000_000)
            }
            let seconds = MonotonicClock.seconds(since: publishStart)
            var finish = ShardMessage(kind: .finish)
            finish.published = published
            group.broadcast(finish)
            let (results, missing) = await group.results(deadline: RunContext.deadline(in: command.drain + 60))
            var stats = DeliveryStats()
            for result in results { if let part = result.deliveries { stats.merge(part) } }
            let disconnected = results.compactMap(\.disconnected).reduce(0, +)
            return ((stats, seconds), disconnected, missing)
        }
    }
}

/// Timing and counts of the publishing phase.
struct PublishOutcome {
    var via: String
    var start = MonotonicClock.now()
    var end: UInt64 = 0
    var published = 0
    var failed = 0

    var summary: RunReport.Publishing {
        let seconds = Double(end - start) / 1e9
        return RunReport.Publishing(
            published: published, failed: failed, seconds: seconds, perSecond: seconds > 0 ? Double(published) / seconds : 0,
            via: via)
    }
}
