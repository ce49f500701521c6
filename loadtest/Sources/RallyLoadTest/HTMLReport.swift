import Foundation

/// A self-contained HTML page with two SVG plots: the latency percentile spectrum (HdrHistogram
/// style, x = 1/(1-percentile) on a log axis) and throughput over time.
enum HTMLReport {
    static func render(_ report: RunReport, latency: LatencyHistogram?, timeline: [UInt64]?, bucketMilliseconds: Int) -> String {
        var body = "<h1>rally-loadtest · \(escape(report.scenario)) · \(escape(report.mode))</h1>\n"
        body += "<pre>\(escape(SummaryText.render(report)))</pre>\n"
        if let latency, latency.totalCount > 0 {
            body += "<h2>Publish → receive latency by percentile</h2>\n" + SVGPlot.percentiles(latency)
        }
        if let timeline, !timeline.isEmpty {
            let perSecond = timeline.map { Double($0) * 1000 / Double(bucketMilliseconds) }
            body += "<h2>Deliveries per second over time (\(bucketMilliseconds) ms buckets)</h2>\n"
                + SVGPlot.line(perSecond, xStep: Double(bucketMilliseconds) / 1000, xLabel: "seconds", yLabel: "deliveries/s")
        }
        body += "<h2>JSON</h2>\n<pre>\(escape((try? Console.jsonLine(report, snakeCase: true)) ?? ""))</pre>\n"
        return """
            <!doctype html><html><head><meta charset="utf-8"><title>rally-loadtest \(escape(report.scenario))</title>
            <style>body{font-family:sans-serif;margin:2em;max-width:1000px}pre{background:#f6f6f6;padding:1em;white-space:pre-wrap;word-break:break-all}
            svg{background:#fff;border:1px solid #ddd}text{font-size:11px;font-family:sans-serif}</style></head>
            <body>\(body)</body></html>
            """
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}

/// Minimal SVG line plots.
enum SVGPlot {
    static let width = 900.0
    static let height = 360.0
    static let margin = 60.0

    /// Latency (ms, linear y) against percentile on a log scale of 1/(1-p): 0%, 90%, 99%, 99.9%, 99.99%.
    static func percentiles(_ histogram: LatencyHistogram) -> String {
        let nines = [50.0, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.999, 100]
        let points = nines.map { percentile -> (Double, Double) in
            let x = log10(1 / max(1e-6, 1 - min(percentile, 99.9999) / 100))
            return (x, Double(histogram.valueAtPercentile(percentile)) / 1000)
        }
        let ticks = [(0.30103, "50%"), (1.0, "90%"), (2.0, "99%"), (3.0, "99.9%"), (4.0, "99.99%"), (5.0, "99.999%")]
        return plot(points, xTicks: ticks, xLabel: "percentile", yLabel: "latency (ms)")
    }

    static func line(_ values: [Double], xStep: Double, xLabel: String, yLabel: String) -> String {
        let points = values.enumerated().map { (Double($0.offset) * xStep, $0.element) }
        let span = Double(values.count) * xStep
        let step = max(1.0, (span / 10).rounded())
        let ticks = stride(from: 0.0, through: span, by: step).map { ($0, String(format: "%.0f", $0)) }
        return plot(points, xTicks: ticks, xLabel: xLabel, yLabel: yLabel)
    }

    private static func plot(_ points: [(Double, Double)], xTicks: [(Double, String)], xLabel: String, yLabel: String) -> String {
        let maxX = max(points.map(\.0).max() ?? 1, xTicks.map(\.0).max() ?? 1, 1e-9)
        let maxY = max(points.map(\.1).max() ?? 1, 1e-9) * 1.05
        let plotWidth = width - 2 * margin
        let plotHeight = height - 2 * margin
        func sx(_ x: Double) -> Double { margin + x / maxX * plotWidth }
        func sy(_ y: Double) -> Double { height - margin - y / maxY * plotHeight }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\">\n"
        svg += "<line x1=\"\(margin)\" y1=\"\(height - margin)\" x2=\"\(width - margin)\" y2=\"\(height - margin)\" stroke=\"#333\"/>\n"
        svg += "<line x1=\"\(margin)\" y1=\"\(margin)\" x2=\"\(margin)\" y2=\"\(height - margin)\" stroke=\"#333\"/>\n"
        for (x, label) in xTicks {
            svg += "<text x=\"\(fmt(sx(x)))\" y=\"\(fmt(height - margin + 15))\" text-anchor=\"middle\">\(label)</text>\n"
        }
        for index in 0...5 {
            let y = maxY * Double(index) / 5
            svg += "<line x1=\"\(margin)\" y1=\"\(fmt(sy(y)))\" x2=\"\(width - margin)\" y2=\"\(fmt(sy(y)))\" stroke=\"#eee\"/>"
            svg += "<text x=\"\(margin - 5)\" y=\"\(fmt(sy(y) + 4))\" text-anchor=\"end\">\(label(y))</text>\n"
        }
        let path = points.map { "\(fmt(sx($0.0))),\(fmt(sy($0.1)))" }.joined(separator: " ")
        svg += "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"\(path)\"/>\n"
        svg += "<text x=\"\(width / 2)\" y=\"\(height - 15)\" text-anchor=\"middle\">\(xLabel)</text>\n"
        svg += "<text x=\"15\" y=\"\(height / 2)\" transform=\"rotate(-90 15 \(height / 2))\" text-anchor=\"middle\">\(yLabel)</text>\n"
        return svg + "</svg>\n"
    }

    private static func fmt(_ value: Double) -> String { String(format: "%.1f", value) }

    private static func label(_ value: Double) -> String {
        value >= 1000 ? SummaryText.grouped(value) : String(format: value >= 10 ? "%.0f" : "%.2f", value)
    }
}
