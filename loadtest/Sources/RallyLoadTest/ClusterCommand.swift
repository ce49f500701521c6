import ArgumentParser

/// Where the cluster scenario's messages enter: a Rally node, or Redis itself (as a backend service would).
enum ClusterVia: String, ExpressibleByArgument, Codable, Sendable {
    case node, redis
}

/// The nodes of a cluster run and how to reach them (the Rally modes only).
struct ClusterNodeOptions: ParsableArguments {
    @Option(name: .customLong("node"),
            help: "WebSocket URL of a node, e.g. ws://127.0.0.1:4101/socket/websocket; repeat it or give a comma list. Subscribers are spread round robin over the nodes.")
    var nodeArguments: [String] = []

    @Option(help: "rally-v1 | rally-v2")
    var mode: Mode = .rallyV2

    @Option(help: "JWT (one secret shared by every node): apikey on connect, Bearer token for POST /api/broadcast (use service_role).")
    var token: String?

    @Option(help: "Local source addresses: a count (4 → 127.0.0.1…127.0.0.4), a range or a comma list.")
    var sourceAddresses: String = "1"

    @Option(help: "Connections being opened at the same time (per node).")
    var concurrency: Int = 200

    @Option(help: "Event loop threads of the generator (default: cores).")
    var threads: Int?

    @Option(help: "Seconds allowed for opening all connections (and joining).")
    var connectTimeout: Double = 60

    /// The node URLs, comma lists split.
    var nodes: [String] {
        nodeArguments.flatMap { $0.split(separator: ",") }.map { String($0).trimmingWhitespace }.filter { !$0.isEmpty }
    }

    func target(node: String) throws -> ClientTarget {
        try ClientTarget(mode: mode, url: node, token: token, sourceAddresses: sourceAddresses, connectTimeout: connectTimeout)
    }
}

/// Subscribers of one topic spread over several nodes on one Redis; messages published through a node or straight
/// into Redis. Measures what crossing the bus costs.
struct ClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Subscribers spread over several Rally nodes on one Redis; publishing through a node or by Redis PUBLISH on rally:in: deliveries/s, latency, exact loss/dup counts, CPU per delivery.")

    @OptionGroup var nodes: ClusterNodeOptions
    @OptionGroup var run: RunOptions

    @Option(help: "Topic (joined as realtime:<topic>).")
    var topic = "loadtest"
    @Option(help: "Subscribers, spread round robin over the --node URLs.")
    var subscribers = 1000
    @Option(help: "Messages to publish.")
    var messages = 1000
    @Option(help: "Publish rate in messages/s; 0 publishes as fast as --window (or --one-at-a-time) allows.")
    var rate: Double = 0
    @Option(help: "Most messages in flight (published, not yet seen by every subscriber) when pipelining.")
    var window = 64
    @Option(help: "Seconds after which publishing stops even if --messages were not all sent.")
    var duration: Double = 60
    @Option(help: "Seconds to wait for the last deliveries after publishing.")
    var drain: Double = 5
    @Option(help: "node: through a Rally node (--publish ws|http); redis: PUBLISH of the JSON envelope on rally:in.")
    var via: ClusterVia = .node
    @Option(help: "With --via node: ws (broadcasts on a joined socket) or http (POST /api/broadcast, service_role token).")
    var publish: PublishVia = .ws
    @Option(help: "With --via node: the node that publishes (its WebSocket URL; default: the first --node). It may be one that has no subscribers.")
    var publishNode: String?
    @Option(help: "With --via redis: redis://host:port of the nodes' Redis.")
    var redisUrl: String?
    @Flag(help: "Each publish waits for its answer (HTTP 202, the broadcast ack, Redis's reply) before the next; default: pipelined.")
    var oneAtATime = false
    @Option(help: "PID of the Redis server: its CPU is reported beside the nodes'.")
    var redisPid: Int32?
    @Option(help: "Pad each payload to about this many bytes.")
    var payloadSize = 0

    func run() async throws {
        let context = try RunContext(threads: nodes.threads, run: run)
        do {
            try await ClusterRun(command: self, context: context).run()
        } catch {
            await context.shutdown()
            throw error
        }
        await context.shutdown()
    }

    func validate() throws {
        guard !nodes.nodes.isEmpty else { throw ValidationError("give at least one --node URL") }
        guard nodes.mode != .raw else { throw ValidationError("cluster needs a Rally mode (rally-v1 or rally-v2)") }
        guard subscribers >= 1, messages >= 1, window >= 1 else {
            throw ValidationError("--subscribers, --messages and --window must be at least 1")
        }
        guard run.processes == 1, !run.isChild else {
            throw ValidationError("cluster runs in one generator process (up to ~19,900 subscribers); --processes is not supported")
        }
        guard via == .node || redisUrl != nil else { throw ValidationError("--via redis needs --redis-url") }
    }

    /// What the publisher is, as the report names it: redis, node-ws or node-http.
    var publisherName: String { via == .redis ? "redis" : "node-\(publish.rawValue)" }

    var style: String { oneAtATime ? "one-at-a-time" : "pipelined" }

    var parameters: [String: String] {
        [
            "topic": topic, "subscribers": String(subscribers), "messages": String(messages), "rate": String(rate),
            "window": String(window), "via": publisherName, "style": style, "nodes": String(nodes.nodes.count),
            "payload_size": String(payloadSize), "threads": nodes.threads.map(String.init) ?? "default",
            "source_addresses": nodes.sourceAddresses,
        ]
    }
}

extension String {
    var trimmingWhitespace: String {
        var text = Substring(self)
        while text.first?.isWhitespace == true { text.removeFirst() }
        while text.last?.isWhitespace == true { text.removeLast() }
        return String(text)
    }
}
