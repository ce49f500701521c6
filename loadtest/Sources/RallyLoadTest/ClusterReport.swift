import Foundation

/// The cluster scenario's part of the JSON line: how messages entered, deliveries per node, and the CPU every node
/// (and Redis) spent per delivery.
struct ClusterResults: Codable, Sendable {
    /// One node's subscribers.
    struct Node: Codable, Sendable {
        var url: String
        var subscribers: Int
        var received: Int
        var lost: Int
        var duplicated: Int
        var outOfOrder: Int
        var streamsWithLoss: Int
        var latency: LatencySummary

        init(url: String, stats: DeliveryStats) {
            self.url = url
            subscribers = stats.streams
            received = stats.received
            lost = stats.lost
            duplicated = stats.duplicated
            outOfOrder = stats.outOfOrder
            streamsWithLoss = stats.streamsWithLoss
            latency = LatencySummary(stats.latency)
        }
    }

    /// CPU seconds one `--server-pid` tree used from the first publish to the last delivery.
    struct NodeCPU: Codable, Sendable {
        var pid: Int32
        var seconds: Double?
    }

    /// redis, node-ws or node-http.
    var via: String
    /// pipelined or one-at-a-time.
    var style: String
    var publishNode: String?
    /// Bytes of one published message (the JSON envelope on Redis, the payload object through a node).
    var publishedBytes: Int
    var nodes: [Node]
    var nodeCPU: [NodeCPU]
    /// Sum over the nodes' process trees.
    var serverCPUSeconds: Double?
    var redisCPUSeconds: Double?
    /// The nodes' CPU (all of them together) per message delivered to a client, µs.
    var serverMicrosecondsPerDelivery: Double?
    var redisMicrosecondsPerDelivery: Double?
    /// The nodes' CPU per message published, µs.
    var serverMicrosecondsPerPublish: Double?
    /// Redis's CPU per message published, µs (each publish is delivered once per node subscribed to the topic).
    var redisMicrosecondsPerPublish: Double?

    static func used(_ before: Double?, _ after: Double?) -> Double? {
        guard let before, let after else { return nil }
        return rounded(after - before)
    }

    static func rounded(_ value: Double) -> Double { (value * 100).rounded() / 100 }

    /// `seconds` of CPU per `count` events, in µs (2 decimals).
    static func micros(_ seconds: Double?, per count: Int) -> Double? {
        guard let seconds, count > 0 else { return nil }
        return (seconds / Double(count) * 1e8).rounded() / 100
    }
}

/// The cluster lines of the human summary.
enum ClusterSummaryText {
    static func render(_ cluster: ClusterResults) -> [String] {
        var lines = ["cluster      via \(cluster.via) (\(cluster.style))"
            + (cluster.publishNode.map { " on \($0)" } ?? "") + ", \(cluster.publishedBytes) bytes per message"]
        for node in cluster.nodes {
            lines.append(
                "  node       \(node.url): \(node.subscribers) subscribers, \(node.received) received, lost \(node.lost), "
                    + "dup \(node.duplicated), p99 \(node.latency.p99Ms) ms")
        }
        let perNode = cluster.nodeCPU.map { "\($0.pid): \($0.seconds.map(SummaryText.fixed) ?? "n/a") s" }
        if !perNode.isEmpty { lines.append("  node cpu   " + perNode.joined(separator: ", ")) }
        if let micros = cluster.serverMicrosecondsPerDelivery {
            lines.append("  cost       nodes \(SummaryText.fixed(micros)) µs CPU per delivery"
                + (cluster.serverMicrosecondsPerPublish.map { ", \(SummaryText.fixed($0)) µs per message published" } ?? ""))
        }
        if let redis = cluster.redisCPUSeconds {
            let costs = [
                cluster.redisMicrosecondsPerDelivery.map { "\(SummaryText.fixed($0)) µs per delivery" },
                cluster.redisMicrosecondsPerPublish.map { "\(SummaryText.fixed($0)) µs per message published" },
            ].compactMap { $0 }
            lines.append("  redis cpu  \(SummaryText.fixed(redis)) s" + (costs.isEmpty ? "" : " (\(costs.joined(separator: ", ")))"))
        }
        return lines
    }
}
