import Foundation

/// The soak's own section of the JSON line (`soak`): the RSS curve and what the sockets did.
struct SoakResults: Codable, Sendable {
    /// Server RSS in bytes at the moments that matter, over the whole run.
    struct RSS: Codable, Sendable {
        var start: Int?
        var peak: Int?
        var peakAtSeconds: Double?
        /// Load over, sockets still open (last round).
        var endOfLoad: Int?
        /// Every socket closed (last round).
        var afterClose: Int?
        /// After `--idle` seconds with no sockets (last round).
        var afterIdle: Int?
        /// afterIdle − start.
        var retainedAfterIdle: Int?
        /// (peak − afterIdle) / (peak − start): the share of the growth given back.
        var returnedFraction: Double?
        /// The same moments in RssAnon (the heap, without the code pages the node touched on the way).
        var anonStart: Int?
        var anonPeak: Int?
        var anonEndOfLoad: Int?
        var anonAfterIdle: Int?
    }

    struct Round: Codable, Sendable {
        var round: Int
        var connected: Int
        var openAtEnd: Int
        var rssStart: Int?
        var rssPeak: Int?
        var rssEndOfLoad: Int?
        var rssAfterClose: Int?
        var rssAfterIdle: Int?
        var anonStart: Int?
        var anonEndOfLoad: Int?
        var anonAfterIdle: Int?
    }

    var rss = RSS()
    var rounds: [Round] = []
    var sampleIntervalSeconds: Double
    /// [seconds since start, VmRSS MiB, RssAnon MiB] every sample interval.
    var rssCurve: [[Double]] = []
    var marks: [RSSCurve.Mark] = []
    var actions = SoakCounts()
    var errorCount = 0
    /// Broadcast → receipt at the other members.
    var deliveryLatency = LatencySummary(makeLatencyHistogram())
    /// Deliveries per broadcast (the topic's other members, on average).
    var deliveriesPerBroadcast = 0.0

    init(sampleIntervalSeconds: Double) {
        self.sampleIntervalSeconds = sampleIntervalSeconds
    }

    mutating func finish(curve: RSSCurve, counts: SoakCounts, latency: LatencyHistogram) {
        let last = rounds.last
        let peak = curve.peak()
        rss = RSS(
            start: rounds.first?.rssStart, peak: peak?.bytes, peakAtSeconds: peak.map { ($0.seconds * 10).rounded() / 10 },
            endOfLoad: last?.rssEndOfLoad, afterClose: last?.rssAfterClose, afterIdle: last?.rssAfterIdle)
        if let start = rss.start, let idle = rss.afterIdle {
            rss.retainedAfterIdle = idle - start
            if let peak = rss.peak, peak > start {
                rss.returnedFraction = (Double(peak - idle) / Double(peak - start) * 1000).rounded() / 1000
            }
        }
        func mib(_ bytes: Int) -> Double { (Double(bytes) / 1_048_576 * 10).rounded() / 10 }
        rssCurve = curve.samples.map { [($0.seconds * 10).rounded() / 10, mib($0.bytes), mib($0.anonBytes ?? 0)] }
        let anonPeak = (curve.samples.compactMap(\.anonBytes) + curve.marks.compactMap(\.anonBytes)).max()
        rss.anonStart = rounds.first?.anonStart
        rss.anonPeak = anonPeak
        rss.anonEndOfLoad = last?.anonEndOfLoad
        rss.anonAfterIdle = last?.anonAfterIdle
        marks = curve.marks
        actions = counts
        errorCount = counts.errorCount
        deliveryLatency = LatencySummary(latency)
        if counts.broadcastsSent > 0 {
            deliveriesPerBroadcast = (Double(counts.broadcastsReceived) / Double(counts.broadcastsSent) * 100).rounded() / 100
        }
    }
}

/// The soak's output: the usual JSON line (with a `soak` key), summary and HTML report.
struct SoakOutput: Encodable {
    var report: RunReport
    var soak: SoakResults

    private enum Key: String, CodingKey { case soak }

    func encode(to encoder: Encoder) throws {
        try report.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(soak, forKey: .soak)
    }

    func emit(options: RunOptions, latency: LatencyHistogram) throws {
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
        let summary = SummaryText.render(report) + "\n" + summaryLines.joined(separator: "\n")
        if !options.quiet { Console.err(summary) }
        if let path = options.report {
            var html = HTMLReport.render(report, latency: latency, timeline: nil, bucketMilliseconds: 1000)
            var section = "<h2>Soak</h2>\n<pre>\(HTMLReport.escape(summaryLines.joined(separator: "\n")))</pre>\n"
            if soak.rssCurve.count > 1 {
                section += "<h2>Server RSS over time (MiB, one sample per \(SummaryText.fixed(soak.sampleIntervalSeconds)) s)</h2>\n"
                    + SVGPlot.line(soak.rssCurve.map { $0[1] }, xStep: soak.sampleIntervalSeconds, xLabel: "seconds", yLabel: "MiB")
            }
            if let range = html.range(of: "<h2>JSON</h2>") {
                html.insert(contentsOf: section, at: range.lowerBound)
            }
            try html.write(toFile: path, atomically: true, encoding: .utf8)
            if !options.quiet { Console.err("report written to \(path)") }
        }
    }

    var summaryLines: [String] {
        func mib(_ bytes: Int?) -> String { bytes.map { SummaryText.mib($0) } ?? "n/a" }
        var lines: [String] = []
        let rss = soak.rss
        var line = "server RSS   start \(mib(rss.start)), peak \(mib(rss.peak))"
            + (rss.peakAtSeconds.map { " (at \(SummaryText.fixed($0)) s)" } ?? "")
            + ", end of load \(mib(rss.endOfLoad)), after close \(mib(rss.afterClose)), after idle \(mib(rss.afterIdle)) MiB"
        if let retained = rss.retainedAfterIdle {
            line += String(format: " (%+.1f MiB over start", Double(retained) / 1_048_576)
            if let fraction = rss.returnedFraction { line += String(format: ", %.0f %% of the growth returned", fraction * 100) }
            line += ")"
        }
        lines.append(line)
        if rss.anonStart != nil {
            lines.append(
                "  heap       RssAnon start \(mib(rss.anonStart)), peak \(mib(rss.anonPeak)), end of load \(mib(rss.anonEndOfLoad)), "
                    + "after idle \(mib(rss.anonAfterIdle)) MiB (the rest of RSS is mostly code pages)")
        }
        if soak.rounds.count > 1 {
            for round in soak.rounds {
                lines.append(
                    "  round \(round.round)    start \(mib(round.rssStart)), peak \(mib(round.rssPeak)), end of load "
                        + "\(mib(round.rssEndOfLoad)), after idle \(mib(round.rssAfterIdle)) MiB (heap \(mib(round.anonAfterIdle))); "
                        + "\(round.connected) connected, "
                        + "\(round.openAtEnd) open at the end")
            }
        }
        let actions = soak.actions
        func count(_ value: Int) -> String { SummaryText.grouped(Double(value)) }
        lines.append(
            "broadcasts   \(count(actions.broadcastsSent)) sent, \(count(actions.broadcastsReceived)) received "
                + "(\(SummaryText.fixed(soak.deliveriesPerBroadcast)) per broadcast)")
        lines.append("delivery     " + SummaryText.latency(soak.deliveryLatency))
        lines.append(
            "presence     \(count(actions.presenceOK))/\(count(actions.presenceCalls)) track/untrack ok, "
                + "\(count(actions.presenceDiffsReceived)) diffs and \(count(actions.presenceStatesReceived)) states received")
        lines.append(
            "churn        rejoins \(count(actions.rejoinsOK))/\(count(actions.rejoins)), reconnects "
                + "\(count(actions.reconnectsOK))/\(count(actions.reconnects)) (\(count(actions.reconnectsAborted)) cut), "
                + "\(count(actions.skipped)) actions skipped")
        lines.append("frames       \(count(actions.framesSent)) sent, \(count(actions.framesReceived)) received")
        lines.append("errors       \(soak.errorCount)")
        for (reason, number) in actions.errors.sorted(by: { $0.value > $1.value }) {
            lines.append("  error      \(number) × \(reason)")
        }
        return lines
    }
}
