/// Two readings of the counters and what happened between them: rates per second and latency percentiles of the
/// interval. Pure arithmetic, tested without a node.
struct AdminInterval: Sendable {
    /// The previous reading; nil for the first (rates are then 0 and percentiles cover the whole uptime).
    let before: AdminMetricsReading?
    let after: AdminMetricsReading
    let seconds: Double

    /// How much `name` grew per second (never negative: a counter that went back means a restart).
    func rate(_ name: String) -> Double {
        guard let before, seconds > 0 else { return 0 }
        return max(0, after.total(name) - before.total(name)) / seconds
    }

    /// Per value of `label`: the counter's total and its rate, most frequent total first.
    func breakdown(_ name: String, by label: String) -> [(key: String, total: Double, rate: Double)] {
        let now = after.byLabel(name, label)
        let then = before?.byLabel(name, label) ?? [:]
        return now.map { key, total in
            let rate = before == nil || seconds <= 0 ? 0 : max(0, total - (then[key] ?? 0)) / seconds
            return (key: key, total: total, rate: rate)
        }
        .sorted { $0.total != $1.total ? $0.total > $1.total : $0.key < $1.key }
    }

    /// The observations the histogram got in the interval.
    func count(_ histogram: String) -> Double {
        max(0, after.total(histogram + "_count") - (before?.total(histogram + "_count") ?? 0))
    }

    /// The `quantiles` (0…1) of the histogram's observations in the interval, in the histogram's unit, estimated
    /// by linear interpolation inside the bucket where each falls (as Prometheus' `histogram_quantile` does); one
    /// past the last finite bound is answered with that bound. Nil when nothing was observed.
    func quantiles(_ histogram: String, _ quantiles: [Double]) -> [Double]? {
        let previous = Dictionary(before?.buckets(histogram).map { ($0.bound, $0.count) } ?? [],
                                  uniquingKeysWith: +)
        let buckets = after.buckets(histogram).map { (bound: $0.bound, count: max(0, $0.count - (previous[$0.bound] ?? 0))) }
        guard let total = buckets.last?.count, total > 0 else { return nil }
        return quantiles.map { Self.quantile($0, of: buckets, total: total) }
    }

    static func quantile(_ q: Double, of buckets: [(bound: Double, count: Double)], total: Double) -> Double {
        let rank = q * total
        var lowerBound = 0.0
        var lowerCount = 0.0
        for bucket in buckets {
            if bucket.count >= rank {
                guard bucket.bound.isFinite else { return lowerBound }
                let inBucket = bucket.count - lowerCount
                let fraction = inBucket > 0 ? (rank - lowerCount) / inBucket : 1
                return lowerBound + (bucket.bound - lowerBound) * fraction
            }
            lowerBound = bucket.bound.isFinite ? bucket.bound : lowerBound
            lowerCount = bucket.count
        }
        return lowerBound
    }
}
