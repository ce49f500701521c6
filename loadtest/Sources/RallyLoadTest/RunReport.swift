import Foundation

/// Percentiles of a latency histogram, in milliseconds.
struct LatencySummary: Codable, Sendable {
    var count: UInt64
    var p50Ms: Double
    var p90Ms: Double
    var p95Ms: Double
    var p99Ms: Double
    var p999Ms: Double
    var maxMs: Double
    var meanMs: Double

    init(_ histogram: LatencyHistogram) {
        func ms(_ microseconds: UInt64) -> Double { (Double(microseconds) / 1000 * 1000).rounded() / 1000 }
        count = histogram.totalCount
        p50Ms = count == 0 ? 0 : ms(histogram.valueAtPercentile(50))
        p90Ms = count == 0 ? 0 : ms(histogram.valueAtPercentile(90))
        p95Ms = count == 0 ? 0 : ms(histogram.valueAtPercentile(95))
        p99Ms = count == 0 ? 0 : ms(histogram.valueAtPercentile(99))
        p999Ms = count == 0 ? 0 : ms(histogram.valueAtPercentile(99.9))
        maxMs = count == 0 ? 0 : ms(histogram.max)
        meanMs = count == 0 ? 0 : (histogram.mean / 1000 * 1000).rounded() / 1000
    }
}

/// The result of one run: the JSON line, the summary and the HTML report are made from it.
struct RunReport: Codable, Sendable {
    struct Connections: Codable, Sendable {
        var attempted: Int
        var connected: Int
        var failed: Int
        var failures: [String: Int]
        var seconds: Double
        var perSecond: Double
        var connectLatency: LatencySummary
        /// Connections found closed at the end of the run.
        var disconnected: Int?
    }

    struct Deliveries: Codable, Sendable {
        var expected: Int
        var received: Int
        var lost: Int
        var duplicated: Int
        var outOfOrder: Int
        var streams: Int
        var streamsWithLoss: Int
        var unstamped: Int
        var perSecond: Double
        var latency: LatencySummary
        /// Deliveries per second, one value per second of the run.
        var timelinePerSecond: [Double]
    }

    struct Publishing: Codable, Sendable {
        var published: Int
        var failed: Int
        var seconds: Double
        var perSecond: Double
        var via: String
    }

    struct Memory: Codable, Sendable {
        var serverPid: Int32?
        var serverRSSBefore: Int?
        var serverRSSAfter: Int?
        var serverBytesPerConnection: Double?
        var kernelTCPBytesBefore: Int?
        var kernelTCPBytesAfter: Int?
        var generatorRSS: Int
    }

    /// CPU used while publishing and delivering (server tree, generator tree), in seconds and in cores.
    struct CPU: Codable, Sendable {
        var wallSeconds: Double
        var serverSeconds: Double?
        var serverCores: Double?
        var generatorSeconds: Double?
        var generatorCores: Double?
        /// CPU microseconds per delivery (fanout): what one message to one subscriber cost each side.
        var serverMicrosecondsPerDelivery: Double? = nil
        var generatorMicrosecondsPerDelivery: Double? = nil
    }

    var tool = "rally-loadtest"
    var scenario: String
    var mode: String
    var label: String?
    var url: String
    var startedAt: String
    var processes: Int
    var parameters: [String: String]
    var seconds: Double = 0
    var connections: Connections?
    var deliveries: Deliveries?
    var publishing: Publishing?
    var memory: Memory?
    var cpu: CPU?
    /// Live scenarios (capacity, activity, chat --durable): the Postgres writer and what it caused.
    var live: LiveResults?
    /// The cluster scenario: nodes, CPU per node and per delivery, deliveries per node.
    var cluster: ClusterResults?
    /// The revocation scenario.
    var revocation: RevocationResults?
    var notes: [String] = []
}

extension RunReport.Connections {
    init(_ stats: ConnectionStats, disconnected: Int? = nil) {
        self.init(
            attempted: stats.attempted, connected: stats.connected, failed: stats.failed, failures: stats.failures,
            seconds: stats.seconds, perSecond: stats.seconds > 0 ? Double(stats.connected) / stats.seconds : 0,
            connectLatency: LatencySummary(stats.connectLatency), disconnected: disconnected)
    }
}

extension RunReport.Deliveries {
    init(_ stats: DeliveryStats, seconds: Double) {
        let perBucket = Double(1000 / stats.bucketMilliseconds)
        var perSecond: [Double] = []
        var index = 0
        while index < stats.timeline.count {
            let slice = stats.timeline[index..<min(index + Int(perBucket), stats.timeline.count)]
            perSecond.append(Double(slice.reduce(0, +)))
            index += Int(perBucket)
        }
        self.init(
            expected: stats.expected, received: stats.received, lost: stats.lost, duplicated: stats.duplicated,
            outOfOrder: stats.outOfOrder, streams: stats.streams, streamsWithLoss: stats.streamsWithLoss,
            unstamped: stats.unstamped, perSecond: seconds > 0 ? Double(stats.received) / seconds : 0,
            latency: LatencySummary(stats.latency), timelinePerSecond: perSecond)
    }
}

extension RunReport {
    static func now() -> String {
        ISO8601DateFormatter().string(from: Date())
    }

    /// Emits the JSON line (stdout and `--json-out`), the summary (stderr) and the HTML report.
    func emit(options: RunOptions, latency: LatencyHistogram?, timeline: [UInt64]?, bucketMilliseconds: Int) throws {
        let line = try Console.jsonLine(self, snakeCase: true)
        Console.out(line)
        if let path = options.jsonOut {
            let handle = FileHandle(forWritingAtPath: path) ?? {
                _ = FileManager.default.createFile(atPath: path, contents: nil)
                return FileHandle(forWritingAtPath: path)
            }()
            handle?.seekToEndOfFile()
            handle?.write(Data((line + "\n").utf8))
            try? handle?.close()
        }
        if !options.quiet { Console.err(SummaryText.render(self)) }
        if let path = options.report {
            let html = HTMLReport.render(self, latency: latency, timeline: timeline, bucketMilliseconds: bucketMilliseconds)
            try html.write(toFile: path, atomically: true, encoding: .utf8)
            if !options.quiet { Console.err("report written to \(path)") }
        }
    }
}
