import Foundation

/// The human summary printed on stderr.
enum SummaryText {
    static func render(_ report: RunReport) -> String {
        var lines = ["== \(report.scenario) · \(report.mode)\(report.label.map { " · \($0)" } ?? "") · \(report.url)"]
        let parameters = report.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        lines.append("   " + parameters.joined(separator: " ") + " processes=\(report.processes)")
        if let connections = report.connections { lines.append(contentsOf: render(connections)) }
        if let publishing = report.publishing {
            lines.append(
                "publish      \(publishing.published) via \(publishing.via) in \(fixed(publishing.seconds)) s "
                    + "(\(grouped(publishing.perSecond))/s), \(publishing.failed) failed")
        }
        if let deliveries = report.deliveries { lines.append(contentsOf: render(deliveries)) }
        if let live = report.live { lines.append(contentsOf: LiveSummaryText.render(live)) }
        if let revocation = report.revocation { lines.append(contentsOf: revocation.summaryLines) }
        if let memory = report.memory { lines.append(contentsOf: render(memory)) }
        if let cpu = report.cpu { lines.append(render(cpu)) }
        if let cluster = report.cluster { lines.append(contentsOf: ClusterSummaryText.render(cluster)) }
        lines.append("elapsed      \(fixed(report.seconds)) s")
        lines.append(contentsOf: report.notes.map { "note         \($0)" })
        return lines.joined(separator: "\n")
    }

    private static func render(_ connections: RunReport.Connections) -> [String] {
        var lines = [
            "connections  \(connections.connected)/\(connections.attempted) in \(fixed(connections.seconds)) s "
                + "(\(grouped(connections.perSecond))/s), \(connections.failed) failed"
                + (connections.disconnected.map { ", \($0) dropped during the run" } ?? ""),
            "connect time " + latency(connections.connectLatency),
        ]
        for (reason, count) in connections.failures.sorted(by: { $0.value > $1.value }) {
            lines.append("  failure    \(count) × \(reason)")
        }
        return lines
    }

    private static func render(_ deliveries: RunReport.Deliveries) -> [String] {
        [
            "deliveries   \(deliveries.received)/\(deliveries.expected) (\(grouped(deliveries.perSecond))/s) over "
                + "\(deliveries.streams) streams",
            "integrity    lost \(deliveries.lost), duplicated \(deliveries.duplicated), out of order "
                + "\(deliveries.outOfOrder), streams with loss \(deliveries.streamsWithLoss)",
            "latency      " + latency(deliveries.latency),
        ]
    }

    private static func render(_ memory: RunReport.Memory) -> [String] {
        var lines: [String] = []
        if let before = memory.serverRSSBefore, let after = memory.serverRSSAfter {
            var line = "server RSS   \(mib(before)) → \(mib(after)) MiB"
            if let perConnection = memory.serverBytesPerConnection {
                line += ", \(fixed(perConnection / 1024)) KiB per connection"
            }
            lines.append(line)
        }
        if let before = memory.kernelTCPBytesBefore, let after = memory.kernelTCPBytesAfter {
            lines.append("kernel TCP   \(mib(before)) → \(mib(after)) MiB (system-wide, outside process RSS)")
        }
        lines.append("generator    \(mib(memory.generatorRSS)) MiB RSS (parent)")
        return lines
    }

    private static func render(_ cpu: RunReport.CPU) -> String {
        func share(_ seconds: Double?, _ cores: Double?) -> String {
            guard let seconds, let cores else { return "n/a" }
            return "\(fixed(seconds)) s (\(fixed(cores)) cores)"
        }
        var line = "cpu          server \(share(cpu.serverSeconds, cpu.serverCores)), generator "
            + "\(share(cpu.generatorSeconds, cpu.generatorCores)) over \(fixed(cpu.wallSeconds)) s of publishing"
        if let server = cpu.serverMicrosecondsPerDelivery {
            line += "; per delivery: server \(fixed(server)) µs, generator "
                + (cpu.generatorMicrosecondsPerDelivery.map { fixed($0) + " µs" } ?? "n/a")
        }
        return line
    }

    static func latency(_ summary: LatencySummary) -> String {
        "p50 \(summary.p50Ms) ms, p90 \(summary.p90Ms), p95 \(summary.p95Ms), p99 \(summary.p99Ms), p99.9 \(summary.p999Ms), "
            + "max \(summary.maxMs) (n=\(summary.count))"
    }

    static func fixed(_ value: Double) -> String { String(format: "%.2f", value) }
    static func mib(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / 1_048_576) }

    static func grouped(_ value: Double) -> String {
        let number = Int(value.rounded())
        let digits = String(number)
        var out = ""
        for (index, character) in digits.reversed().enumerated() {
            if index > 0, index % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return String(out.reversed())
    }
}
