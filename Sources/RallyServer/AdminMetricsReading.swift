/// The node's counters as the admin dashboard reads them: parsed from the Prometheus text that `/metrics` serves
/// (the one registry every instrument of the process writes to), so the dashboard adds no instrument and no cost
/// to the message path. Pure: parsing and lookups, no I/O.
struct AdminMetricsReading: Sendable, Equatable {
    struct Sample: Sendable, Equatable {
        let name: String
        let labels: [String: String]
        let value: Double
    }

    let samples: [Sample]

    init(samples: [Sample]) { self.samples = samples }

    /// Parses the text exposition format (`name{label="value",…} number`); comments and lines it cannot read are
    /// skipped.
    init(prometheusText text: String) {
        samples = text.split(separator: "\n").compactMap { Self.sample(of: $0) }
    }

    /// The sum of every series called `name` (0 when none was recorded yet).
    func total(_ name: String) -> Double {
        samples.reduce(0) { $1.name == name ? $0 + $1.value : $0 }
    }

    /// The series called `name`, summed by the value of `label` (`rally_rejections_total` by `reason`).
    func byLabel(_ name: String, _ label: String) -> [String: Double] {
        var result: [String: Double] = [:]
        for sample in samples where sample.name == name {
            result[sample.labels[label] ?? "", default: 0] += sample.value
        }
        return result
    }

    /// A histogram's cumulative bucket counts by upper bound (`+Inf` last), summed over its series.
    func buckets(_ histogram: String) -> [(bound: Double, count: Double)] {
        byLabel(histogram + "_bucket", "le")
            .map { (bound: Double($0.key) ?? .infinity, count: $0.value) }
            .sorted { $0.bound < $1.bound }
    }

    private static func sample(of line: Substring) -> Sample? {
        let line = line.drop { $0 == " " }
        guard let first = line.first, first != "#" else { return nil }
        guard let nameEnd = line.firstIndex(where: { $0 == "{" || $0 == " " }) else { return nil }
        let name = String(line[..<nameEnd])
        var rest = line[nameEnd...]
        var labels: [String: String] = [:]
        if rest.first == "{" {
            guard let parsed = parseLabels(&rest) else { return nil }
            labels = parsed
        }
        let number = rest.drop { $0 == " " }.prefix { $0 != " " }
        guard let value = Double(number) else { return nil }
        return Sample(name: name, labels: labels, value: value)
    }

    /// Reads `{k="v",…}` from the front of `text` (escapes `\"`, `\\`, `\n`), leaving what follows the brace.
    private static func parseLabels(_ text: inout Substring) -> [String: String]? {
        text = text.dropFirst()
        var labels: [String: String] = [:]
        while let first = text.first, first != "}" {
            if first == "," || first == " " { text = text.dropFirst(); continue }
            guard let equals = text.firstIndex(of: "=") else { return nil }
            let key = String(text[..<equals])
            text = text[text.index(after: equals)...]
            guard text.first == "\"" else { return nil }
            text = text.dropFirst()
            var value = ""
            while let character = text.first, character != "\"" {
                text = text.dropFirst()
                if character == "\\", let escaped = text.first {
                    value.append(escaped == "n" ? "\n" : escaped)
                    text = text.dropFirst()
                } else {
                    value.append(character)
                }
            }
            guard text.first == "\"" else { return nil }
            text = text.dropFirst()
            labels[key] = value
        }
        guard text.first == "}" else { return nil }
        text = text.dropFirst()
        return labels
    }
}
