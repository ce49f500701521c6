import ArgumentParser
import RallyProtocol

/// How clients talk to the server under test.
enum Mode: String, ExpressibleByArgument, Codable, CaseIterable, Sendable {
    case rallyV1 = "rally-v1"
    case rallyV2 = "rally-v2"
    case raw

    /// The Phoenix serializer version, nil for raw WebSocket peers.
    var protocolVersion: ProtocolVersion? {
        switch self {
        case .rallyV1: return .v1
        case .rallyV2: return .v2
        case .raw: return nil
        }
    }
}

/// Where and how to connect; shared by every scenario.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "WebSocket URL. Rally: ws://127.0.0.1:4000/socket/websocket (apikey and vsn are appended). Raw: may contain {topic}, e.g. ws://127.0.0.1:8089/sub/{topic}.")
    var url: String

    @Option(help: "rally-v1 | rally-v2 | raw")
    var mode: Mode = .rallyV2

    @Option(help: "JWT for Rally: sent as apikey on connect and as Bearer token for HTTP publishing.")
    var token: String?

    @Option(help: "Raw mode: a text message sent right after connecting ({topic} is replaced).")
    var subscribeMessage: String?

    @Option(help: "Local source addresses: a count (4 → 127.0.0.1…127.0.0.4), a range (127.0.0.2-127.0.0.9) or a comma list. Each address gives ~28k more ports.")
    var sourceAddresses: String = "1"

    @Option(help: "Connections being opened at the same time.")
    var concurrency: Int = 200

    @Option(help: "Event loop threads in each generator process (default: cores, or 1 per child process).")
    var threads: Int?

    @Option(help: "Seconds allowed for opening all connections (and joining).")
    var connectTimeout: Double = 60
}

/// Process layout, measurement and output; shared by every scenario.
struct RunOptions: ParsableArguments {
    @Option(help: "Generator processes. Each holds a share of the connections (every process is capped at ~20,000 open files).")
    var processes: Int = 1

    @Option(name: .customLong("server-pid"),
            help: "PID of the server under test; its RSS (with its child processes, e.g. nginx workers) is read from /proc. `cluster` takes one per node (repeat it); the other scenarios use the first.")
    var serverPids: [Int32] = []

    @Option(help: "Write an HTML report (latency percentiles, throughput over time) to this path.")
    var report: String?

    @Option(help: "Also append the JSON line to this file.")
    var jsonOut: String?

    @Option(help: "Hard limit in seconds for the whole run; the generator stops itself after it.")
    var maxTime: Double = 600

    @Option(help: "A label stored in the JSON line (e.g. the peer's name).")
    var label: String?

    @Flag(help: "No human summary on stderr.")
    var quiet = false

    @Option(help: .hidden) var shard: Int?
    @Option(help: .hidden) var shards: Int?
    @Option(help: .hidden) var epochNs: UInt64?

    var isChild: Bool { shard != nil }

    /// The (first) server pid: what every scenario but `cluster` reads.
    var serverPid: Int32? { serverPids.first }
}
