import ArgumentParser
import NIOCore
import RallyClient

/// R rooms × K members talking: every member publishes at a rate and hears every other member.
struct ChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Chat rooms: R rooms × K members, each sending at a rate; latency and exact per-sender loss/dup/reorder.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var run: RunOptions
    @OptionGroup var live: LiveOptions

    @Option(help: "Rooms (whole rooms are spread over --processes).")
    var rooms = 10
    @Option(help: "Members per room.")
    var members = 10
    @Option(help: "Messages per second sent by each member.")
    var rate: Double = 1
    @Option(help: "Messages each member sends.")
    var messages = 10
    @Option(help: "Seconds after which members stop talking even if not all --messages were sent.")
    var duration: Double = 60
    @Option(help: "Seconds to wait for the last deliveries.")
    var drain: Double = 5
    @Option(help: "Room topic prefix: room i is <prefix><i> (Rally: realtime:<prefix><i>; raw: replaces {topic}).")
    var topic = "room"
    @Option(help: "Pad each payload to about this many bytes.")
    var payloadSize = 0
    @Flag(help: "Durable group chat over Postgres: rooms are groups (group:<uuid>) of real users created with --database-url; members send `message` events that Rally stores before delivering them (to the sender too). One process.")
    var durable = false

    func validate() throws {
        guard rooms >= 1, members >= 2, rate > 0, messages >= 1 else {
            throw ValidationError("need --rooms ≥ 1, --members ≥ 2, --rate > 0, --messages ≥ 1")
        }
        if durable, run.processes != 1 || connection.mode == .raw {
            throw ValidationError("--durable needs a Rally mode and one process")
        }
    }

    var parameters: [String: String] {
        [
            "rooms": String(rooms), "members": String(members), "rate": String(rate), "messages": String(messages),
            "payload_size": String(payloadSize), "source_addresses": connection.sourceAddresses,
            "durable": String(durable),
        ]
    }

    func run() async throws {
        let context = try RunContext(connection: connection, run: run)
        do {
            if run.isChild { try await runChild(context) } else { try await runParent(context) }
        } catch {
            await context.shutdown()
            throw error
        }
        await context.shutdown()
    }

    private func makeRooms(_ context: RunContext, durable: DurableChat? = nil) async throws -> (ChatRooms, ConnectionStats) {
        let (count, first) = RunContext.share(of: rooms, shard: context.shard, shards: context.shards)
        try SystemLimits.checkSocketBudget(needed: count * members, processes: context.shards)
        let chat = try await ChatRooms(
            target: try ClientTarget(options: connection), topicPrefix: topic, rooms: first..<first + count, members: members,
            group: context.group, epoch: context.epoch, durable: durable)
        let stats = await chat.connect(concurrency: connection.concurrency, deadline: RunContext.deadline(in: connection.connectTimeout))
        return (chat, stats)
    }

    /// Talks, drains and counts; returns the deliveries, messages sent and talking time.
    private func converse(_ chat: ChatRooms) async -> (DeliveryStats, Int, Double) {
        let start = MonotonicClock.now()
        await chat.talk(rate: rate, perMember: messages, payloadSize: payloadSize, deadline: RunContext.deadline(in: duration))
        let sent = await chat.sentBySeat()
        await chat.waitUntilDelivered(sent: sent, deadline: RunContext.deadline(in: drain))
        let seconds = MonotonicClock.seconds(since: start)
        return (await chat.summary(sent: sent), sent.reduce(0, +), seconds)
    }

    private func runChild(_ context: RunContext) async throws {
        let link = ShardLink()
        let (chat, stats) = try await makeRooms(context)
        var ready = ShardMessage(kind: .ready)
        ready.connections = stats
        link.send(ready)
        guard await link.next(.start, deadline: RunContext.deadline(in: run.maxTime)) != nil else { return }
        let (deliveries, sent, _) = await converse(chat)
        var result = ShardMessage(kind: .result)
        result.deliveries = deliveries
        result.sent = sent
        result.disconnected = chat.disconnected
        result.generatorRSS = ProcessMemory.selfRSS()
        link.send(result)
        await chat.closeAll(concurrency: connection.concurrency)
    }

    private func runParent(_ context: RunContext) async throws {
        let before = MemorySample.take(serverPid: run.serverPid)
        var report = RunReport(
            scenario: "chat", mode: connection.mode.rawValue, label: run.label, url: connection.url,
            startedAt: context.startedAt, processes: context.shards, parameters: parameters)
        var deliveries = DeliveryStats()
        var sent = 0
        var seconds = 0.0
        var disconnected = 0
        var rejections = ChatRejections()
        let stats: ConnectionStats
        let after: MemorySample
        if durable {
            let outcome = try await converseDurably(context)
            (stats, after, deliveries, sent) = (outcome.connections, outcome.memoryAfter, outcome.deliveries, outcome.sent)
            (seconds, disconnected, rejections) = (outcome.seconds, outcome.disconnected, outcome.rejections)
            report.notes.append(String(format: "the node worked through the setup's changes in %.2f s", outcome.setupCatchUpSeconds))
        } else if context.shards == 1 {
            let (chat, connected) = try await makeRooms(context)
            (stats, after) = (connected, MemorySample.take(serverPid: run.serverPid))
            (deliveries, sent, seconds) = await converse(chat)
            disconnected = chat.disconnected
            await chat.closeAll(concurrency: connection.concurrency)
        } else {
            let deadline = RunContext.deadline(in: connection.connectTimeout + 30)
            let (children, connected) = try await ChildGroup.start(count: context.shards, epoch: context.epoch, readyDeadline: deadline)
            (stats, after) = (connected, MemorySample.take(serverPid: run.serverPid))
            let start = MonotonicClock.now()
            children.broadcast(ShardMessage(kind: .start))
            let (results, missing) = await children.results(deadline: RunContext.deadline(in: duration + drain + 60))
            seconds = MonotonicClock.seconds(since: start)
            for result in results {
                if let part = result.deliveries { deliveries.merge(part) }
                sent += result.sent ?? 0
                disconnected += result.disconnected ?? 0
            }
            report.notes = missing
        }
        report.connections = RunReport.Connections(stats, disconnected: disconnected)
        report.publishing = RunReport.Publishing(
            published: sent, failed: rejections.count, seconds: seconds, perSecond: seconds > 0 ? Double(sent) / seconds : 0,
            via: durable ? "ws, stored" : "ws")
        for (reason, count) in rejections.reasons.sorted(by: { $0.value > $1.value }) {
            report.notes.append("\(count) messages refused: \(reason)")
        }
        report.deliveries = RunReport.Deliveries(deliveries, seconds: seconds)
        report.memory = MemorySample.report(before: before, after: after, connections: stats.connected)
        report.seconds = context.elapsed
        try report.emit(options: run, latency: deliveries.latency, timeline: deliveries.timeline, bucketMilliseconds: deliveries.bucketMilliseconds)
    }

    /// `--durable`: creates the users, groups and memberships, talks, and removes them again.
    private func converseDurably(_ context: RunContext) async throws -> DurableChat.Outcome {
        let (url, minter) = try live.resolved()
        let database = try await LoadDatabase.connect(url: url, on: context.group.next())
        let plan = DurableChat(rooms: rooms, members: members, minter: minter)
        do {
            try await plan.create(in: database)
            try await plan.barrier.prepare(in: database)
            let (chat, stats) = try await makeRooms(context, durable: plan)
            let after = MemorySample.take(serverPid: run.serverPid)
            let catchUp = try await plan.barrier.pass(
                database: database, target: chat.target, minter: minter, on: context.group.next(), timeout: live.catchUpTimeout)
            let (deliveries, sent, seconds) = await converse(chat)
            let disconnected = chat.disconnected
            let rejections = await chat.rejections()
            await chat.closeAll(concurrency: connection.concurrency)
            await finish(plan, database: database)
            return DurableChat.Outcome(
                connections: stats, memoryAfter: after, deliveries: deliveries, sent: sent, seconds: seconds,
                disconnected: disconnected, rejections: rejections, setupCatchUpSeconds: catchUp)
        } catch {
            await finish(plan, database: database)
            throw error
        }
    }

    private func finish(_ plan: DurableChat, database: LoadDatabase) async {
        if !live.keepRows { try? await plan.remove(from: database) }
        await database.close()
    }
}
