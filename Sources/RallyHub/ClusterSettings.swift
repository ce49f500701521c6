import Metrics
import NIOCore

/// How the nodes of a cluster watch each other (README "Running several nodes").
public struct ClusterSettings: Sendable {
    /// How often a node says it is alive on the control channel.
    public var heartbeatInterval: TimeAmount = .seconds(1)
    /// A node silent for this long is down: its presence entries leave everywhere (a `kill -9` shows within
    /// `nodeTimeout + heartbeatInterval`).
    public var nodeTimeout: TimeAmount = .seconds(3)
    /// How long a join waits for the other nodes' presence before it is acknowledged with what arrived.
    public var presenceSyncTimeout: TimeAmount = .seconds(1)
    /// A node whose own heartbeats have not come back from the bus for this long replaces its connection (it
    /// looks open but delivers nothing, as after a failover).
    public var stallTimeout: TimeAmount = .seconds(5)
    /// Most topics named in one presence request (a reconnect asks for all of a node's topics in batches).
    public var topicsPerPresenceRequest = 512

    public init() {}
}

/// The bus's instruments (labels bounded: reasons only).
struct BusMetrics: Sendable {
    let published = Counter(label: "rally_bus_published_total")
    let received = Counter(label: "rally_bus_received_total")
    let gaps = Counter(label: "rally_bus_gaps_total")
    let reconnects = Counter(label: "rally_bus_resubscribes_total")
    let stalls = Counter(label: "rally_bus_stalls_total")
    let nodesDown = Counter(label: "rally_bus_nodes_down_total")
    let lag = Metrics.Timer(label: "rally_bus_lag_seconds")
    let up = Gauge(label: "rally_bus_up")
    let nodes = Gauge(label: "rally_bus_nodes")

    /// `echo` (its own message), `duplicate`, `malformed`, `unknown_channel`.
    func dropped(_ reason: String) -> Counter {
        Counter(label: "rally_bus_dropped_total", dimensions: [("reason", reason)])
    }
}
