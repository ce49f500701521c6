import NIOCore
import Metrics

/// The hub's instruments. Labels are bounded: reasons and kinds, never topics or users.
public struct HubMetrics: Sendable {
    public let connections = Gauge(label: "rally_connections")
    public let connectionsOpened = Counter(label: "rally_connections_opened_total")
    public let joins = Counter(label: "rally_joins_total")
    public let channels = Meter(label: "rally_channels")
    public let messagesIn = Counter(label: "rally_messages_in_total")
    public let broadcastsPublished = Counter(label: "rally_broadcasts_published_total")
    public let filteredDeliveries = Counter(label: "rally_deliveries_filtered_total")
    public let malformedFrames = Counter(label: "rally_malformed_frames_total")

    public init() {}

    /// Refusals by reason: `join_unauthorized`, `join_rate`, `too_many_channels`, `message_rate`, `payload_size`,
    /// `token_invalid`, `connect_unauthorized`, `connect_limit`, `draining` ….
    public func rejection(_ reason: String) -> Counter {
        Counter(label: "rally_rejections_total", dimensions: [("reason", reason)])
    }

    /// Sockets closed by the server, by cause (`slow_consumer`, `drain`, `idle`, …).
    public func closure(_ cause: String) -> Counter {
        Counter(label: "rally_server_closes_total", dimensions: [("cause", cause)])
    }
}

/// The fanout's instruments, recorded once per message per event loop (never once per delivery, so the hot loop
/// stays free of atomics): frames handed to subscriber sockets, and how long a message took from being encoded
/// to reaching the last socket queue on that loop.
struct FanoutMetrics: Sendable {
    let deliveries = Counter(label: "rally_fanout_deliveries_total")
    let duration = Metrics.Timer(label: "rally_fanout_seconds")

    func record(delivered: Int, since start: NIODeadline) {
        if delivered > 0 { deliveries.increment(by: Int64(delivered)) }
        duration.recordNanoseconds((NIODeadline.now() - start).nanoseconds)
    }
}

