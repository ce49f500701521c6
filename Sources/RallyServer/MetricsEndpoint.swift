import Foundation
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import Prometheus
import RallyWebSocket

/// `/metrics` in the Prometheus text format. The factory is bootstrapped once per process (swift-metrics allows
/// one bootstrap); later nodes in the same process (tests) share it.
struct MetricsEndpoint: Sendable {
    let registry: PrometheusCollectorRegistry

    private static let shared = NIOLockedValueBox<PrometheusCollectorRegistry?>(nil)

    static func bootstrapOnce() -> MetricsEndpoint {
        let registry = shared.withLockedValue { existing -> PrometheusCollectorRegistry in
            if let existing { return existing }
            let registry = PrometheusCollectorRegistry()
            var factory = PrometheusMetricsFactory(registry: registry)
            factory.durationHistogramBuckets["rally_fanout_seconds"] = fanoutBuckets
            MetricsSystem.bootstrap(factory)
            existing = registry
            return registry
        }
        return MetricsEndpoint(registry: registry)
    }

    /// A fanout takes microseconds: the default buckets (5 ms and up) would put every one in the first, so the
    /// admin dashboard's percentiles and `histogram_quantile` get buckets from 10 µs.
    static let fanoutBuckets: [Duration] = [
        .microseconds(10), .microseconds(25), .microseconds(50), .microseconds(100), .microseconds(250),
        .microseconds(500), .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(100), .milliseconds(250), .seconds(1),
    ]

    func response() -> HTTPResponse {
        Responses.bytes(registry.emitToBuffer(), contentType: "text/plain; version=0.0.4")
    }

    /// The metrics, or 401 when `token` is set and the request does not carry `Authorization: Bearer <token>`.
    func response(to headers: HTTPHeaders, token: String?) -> HTTPResponse {
        guard let token else { return response() }
        let presented = headers.first(name: "authorization").flatMap { value -> Substring? in
            value.lowercased().hasPrefix("bearer ") ? value.dropFirst("bearer ".count) : nil
        }
        guard let presented, Self.constantTimeEqual(Array(presented.utf8), Array(token.utf8)) else {
            var refused = Responses.message(.unauthorized, "Unauthorized")
            refused.headers.add(name: "www-authenticate", value: "Bearer")
            return refused
        }
        return response()
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// A failed accept (each pauses the accept loop), by errno: `emfile`, `enfile` or `other`.
    static func acceptFailed(_ error: IOError) {
        let kind = error.errnoCode == EMFILE ? "emfile" : error.errnoCode == ENFILE ? "enfile" : "other"
        Counter(label: "rally_accept_errors_total", dimensions: [("errno", kind)]).increment()
    }

    /// Accepting paused at the descriptor ceiling (until a descriptor number below it is free).
    static func acceptCeilingReached() {
        Counter(label: "rally_accept_ceiling_total").increment()
    }
}
