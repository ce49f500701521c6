import Metrics
import NIOConcurrencyHelpers
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
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
            existing = registry
            return registry
        }
        return MetricsEndpoint(registry: registry)
    }

    func response() -> HTTPResponse {
        Responses.bytes(registry.emitToBuffer(), contentType: "text/plain; version=0.0.4")
    }
}
