import ArgumentParser
import NIOCore
import RallyClient

enum PublishVia: String, ExpressibleByArgument, Codable, Sendable {
    case http, ws
}

/// N subscribers of one topic; a publisher at a fixed rate or as fast as a bounded in-flight window allows.
struct FanoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fanout",
        abstract: "N subscribers of one topic, one publisher: deliveries/s, latency percentiles, exact loss/dup/reorder counts.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var run: RunOptions

    @Option(help: "Topic (Rally: joined as realtime:<topic>; raw: replaces {topic} in the URLs).")
    var topic = "loadtest"
    @Option(help: "Subscribers (spread over --processes).")
    var subscribers = 1000
    @Option(help: "Messages to publish.")
    var messages = 1000
    @Option(help: "Publish rate in messages/s; 0 publishes as fast as --window allows.")
    var rate: Double = 0
    @Option(help: "Most messages in flight: published but not yet seen by every subscriber (default 64, 16 with --one-at-a-time).")
    var window: Int?
    @Flag(help: "Publish one at a time: each publish waits for its HTTP 202 (or, over a Rally socket, its broadcast ack) before the next is sent, as a backend service typically publishes. Without it, HTTP requests are pipelined.")
    var oneAtATime = false
    @Option(help: "Seconds after which publishing stops even if --messages were not all sent.")
    var duration: Double = 60
    @Option(help: "Seconds to wait for the last deliveries after publishing.")
    var drain: Double = 5
    @Option(help: "http (Nchan /pub, Rally POST /api/broadcast) or ws (Nchan pubsub socket, Rally broadcast).")
    var publish: PublishVia = .http
    @Option(help: "Publisher URL. Raw: http://127.0.0.1:8089/pub/{topic} or ws://…/pubsub/{topic}. Rally HTTP default: http://<host>:<port>/api/broadcast.")
    var publishUrl: String?
    @Option(help: "HTTP publishing connections (requests are pipelined; more than one may reorder messages).")
    var publishConnections = 1
    @Option(help: "Pad each payload to about this many bytes.")
    var payloadSize = 0

    func run() async throws {
        let context = try RunContext(connection: connection, run: run)
        do {
            if run.isChild {
                try await FanoutChild(command: self, context: context).run()
            } else {
                try await FanoutParent(command: self, context: context).run()
            }
        } catch {
            await context.shutdown()
            throw error
        }
        await context.shutdown()
    }

    func validate() throws {
        guard subscribers >= 1, messages >= 1, (window ?? 1) >= 1 else {
            throw ValidationError("--subscribers, --messages and --window must be at least 1")
        }
        guard connection.mode != .raw || publish == .ws || publishUrl != nil else {
            throw ValidationError("raw mode needs --publish-url (e.g. http://127.0.0.1:8089/pub/{topic})")
        }
        guard !oneAtATime || connection.mode != .raw || publish == .http else {
            throw ValidationError("--one-at-a-time over a raw WebSocket has nothing to wait for: use --publish http")
        }
    }

    /// The in-flight bound actually used.
    var effectiveWindow: Int { window ?? (oneAtATime ? 16 : 64) }

    /// How the publisher sends: `pipelined` (HTTP requests back to back) or `one-at-a-time`.
    var style: String { oneAtATime ? "one-at-a-time" : "pipelined" }

    var parameters: [String: String] {
        [
            "topic": topic, "subscribers": String(subscribers), "messages": String(messages),
            "rate": String(rate), "window": String(effectiveWindow), "publish": publish.rawValue, "style": style,
            "payload_size": String(payloadSize), "threads": connection.threads.map(String.init) ?? "default",
            "source_addresses": connection.sourceAddresses,
        ]
    }
}

/// The subscriber side of a child process: connect the share, report progress, report the result.
struct FanoutChild {
    let command: FanoutCommand
    let context: RunContext

    func run() async throws {
        let link = ShardLink()
        let (count, first) = RunContext.share(of: command.subscribers, shard: context.shard, shards: context.shards)
        try SystemLimits.checkSocketBudget(needed: count, processes: context.shards)
        let target = try ClientTarget(options: command.connection)
        let subscribers = try await FanoutSubscribers(
            target: target, topic: command.topic, count: count, firstIndex: first, group: context.group, epoch: context.epoch)
        var ready = ShardMessage(kind: .ready)
        ready.connections = await subscribers.connect(
            concurrency: command.connection.concurrency, deadline: RunContext.deadline(in: command.connection.connectTimeout))
        link.send(ready)
        let progress = Task { await reportProgress(subscribers, link: link) }
        let finish = await link.next(.finish, deadline: RunContext.deadline(in: command.run.maxTime))
        progress.cancel()
        let published = finish?.published ?? 0
        await subscribers.waitUntilDelivered(published: published, deadline: RunContext.deadline(in: command.drain))
        var result = ShardMessage(kind: .result)
        result.deliveries = await subscribers.summary(published: published)
        result.disconnected = subscribers.disconnected
        result.generatorRSS = ProcessMemory.selfRSS()
        link.send(result)
        await subscribers.closeAll(concurrency: command.connection.concurrency)
    }

    private func reportProgress(_ subscribers: FanoutSubscribers, link: ShardLink) async {
        var last = Int.min
        while !Task.isCancelled {
            let lowest = await subscribers.lowestHighestSeen()
            if lowest != last {
                var message = ShardMessage(kind: .progress)
                message.lowest = lowest
                link.send(message)
                last = lowest
            }
            try? await Task.sleep(nanoseconds: 2_000_000)
        }
    }
}
