import Foundation
import RallyHub
import RallyProtocol

/// One answer of `GET /admin/api/stats`: what the node holds now and what happened since the previous sample
/// (rates per second, fanout latency percentiles). Every field is described in docs/admin-api.md. Pure: built
/// from values gathered by `AdminStatsSampler`.
struct AdminSnapshot: Sendable {
    struct Node: Sendable {
        let mode: String
        let id: UInt64
        let uptimeSeconds: Double
        let draining: Bool
    }

    struct Bus: Sendable {
        /// Nil for a node alone.
        let kind: String?
        let otherNodes: Int
        let downForSeconds: Double?
    }

    let node: Node
    let interval: AdminInterval
    let connections: Int
    let topics: TopicSummary
    /// Dependency name (`postgres`, `postgres_listen`, `redis`), as `/readyz` reports them → answering.
    let checks: [String: Bool]
    let database: String
    let bus: Bus

    static let counters: [(key: String, metric: String)] = [
        ("joins", "rally_joins_total"),
        ("messages_in", "rally_messages_in_total"),
        ("published", "rally_broadcasts_published_total"),
        ("deliveries", "rally_fanout_deliveries_total"),
        ("filtered", "rally_deliveries_filtered_total"),
        ("connections_opened", "rally_connections_opened_total"),
        ("bus_published", "rally_bus_published_total"),
        ("bus_received", "rally_bus_received_total"),
    ]
    static let fanoutHistogram = "rally_fanout_seconds"

    var json: JSON {
        var totals = JSONObject()
        var rates = JSONObject()
        for counter in Self.counters {
            totals[counter.key] = Self.number(interval.after.total(counter.metric), decimals: 0)
            rates[counter.key] = Self.number(interval.rate(counter.metric), decimals: 1)
        }
        let closes = interval.breakdown("rally_server_closes_total", by: "cause")
        return .object([
            "node": .object([
                "mode": .string(node.mode), "id": .string(String(node.id, radix: 16)),
                "uptime_s": Self.number(node.uptimeSeconds, decimals: 0), "draining": .bool(node.draining),
            ]),
            "interval_s": Self.number(interval.seconds, decimals: 3),
            "connections": .int(connections),
            "channels": .int(topics.subscriptions),
            "topics": .int(topics.topics),
            "totals": .object(totals),
            "rates": .object(rates),
            "fanout_ms": fanoutJSON,
            "rejections": Self.breakdownJSON(interval.breakdown("rally_rejections_total", by: "reason")),
            "closes": Self.breakdownJSON(closes),
            "slow_consumer_closes": Self.number(closes.first { $0.key == "slow_consumer" }?.total ?? 0, decimals: 0),
            "database": .object(["kind": .string(database), "ready": checks["postgres"].map(JSON.bool) ?? .null,
                                 "listening": checks["postgres_listen"].map(JSON.bool) ?? .null]),
            "bus": busJSON,
            "checks": .object(JSONObject(checks.sorted { $0.key < $1.key }.map { .init(key: $0.key, value: .bool($0.value)) })),
            "busiest": .array(topics.busiest.map { entry in
                .object(["topic": .string(entry.topic), "subscribers": .int(entry.subscribers),
                         "presences": .int(entry.presences)])
            }),
        ])
    }

    /// p50/p90/p99 of the interval's fanouts (one observation per message per event loop), in milliseconds.
    private var fanoutJSON: JSON {
        let count = interval.count(Self.fanoutHistogram)
        guard let values = interval.quantiles(Self.fanoutHistogram, [0.5, 0.9, 0.99]) else {
            return .object(["count": .int(0), "p50": .null, "p90": .null, "p99": .null])
        }
        return .object([
            "count": Self.number(count, decimals: 0),
            "p50": Self.number(values[0] * 1000, decimals: 3), "p90": Self.number(values[1] * 1000, decimals: 3),
            "p99": Self.number(values[2] * 1000, decimals: 3),
        ])
    }

    private var busJSON: JSON {
        guard let kind = bus.kind else { return .object(["configured": .bool(false)]) }
        return .object([
            "configured": .bool(true), "kind": .string(kind), "up": .bool(bus.downForSeconds == nil),
            "ready": checks["redis"].map(JSON.bool) ?? .null, "other_nodes": .int(bus.otherNodes),
            "down_for_s": bus.downForSeconds.map { Self.number($0, decimals: 1) } ?? .null,
        ])
    }

    private static func breakdownJSON(_ rows: [(key: String, total: Double, rate: Double)]) -> JSON {
        .array(rows.map { row in
            .object(["key": .string(row.key), "total": number(row.total, decimals: 0),
                     "rate": number(row.rate, decimals: 1)])
        })
    }

    /// A finite number with at most `decimals` decimals (JSON has no NaN or infinity: those become 0).
    static func number(_ value: Double, decimals: Int) -> JSON {
        guard value.isFinite else { return .int(0) }
        if decimals == 0 { return .number(String(Int64(value.rounded()))) }
        var text = String(format: "%.\(decimals)f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return .number(text == "-0" ? "0" : text)
    }
}
