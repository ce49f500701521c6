import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Prometheus
import RallyHub
import RallyWebSocket

/// Takes the samples behind `GET /admin/api/stats`. A sample reads the metrics registry once, asks each topic
/// shard for its totals and busiest topics on its own loop, and the dependencies for their state; a request that
/// comes within `minimumInterval` of the last sample gets that sample's answer, so any number of open dashboards
/// costs at most two samples a second. Nothing here runs on the message path.
final class AdminStatsSampler: Sendable {
    struct Context: Sendable {
        let registry: PrometheusCollectorRegistry
        let services: HubServices
        let configuration: RallyConfiguration
        let readiness: @Sendable (EventLoop) -> EventLoopFuture<[String: Bool]>
    }

    private struct State {
        var last: (reading: AdminMetricsReading, at: NIODeadline)?
        var answer: (body: ByteBuffer, at: NIODeadline)?
    }

    /// Busiest topics listed.
    static let topicLimit = 10
    let minimumInterval: TimeAmount
    private let context: Context
    private let started = NIODeadline.now()
    private let state = NIOLockedValueBox(State())

    init(_ context: Context, minimumInterval: TimeAmount = .milliseconds(500)) {
        self.context = context
        self.minimumInterval = minimumInterval
    }

    func stats(on loop: EventLoop) -> EventLoopFuture<HTTPResponse> {
        let now = NIODeadline.now()
        let reading = { AdminMetricsReading(prometheusText: String(decoding: self.context.registry.emitToBuffer(),
                                                                   as: UTF8.self)) }
        let cached = state.withLockedValue { state in
            state.answer.flatMap { now - $0.at < minimumInterval ? $0.body : nil }
        }
        if let cached { return loop.makeSucceededFuture(Self.response(cached)) }
        let current = reading()
        let previous = state.withLockedValue { state in
            defer { state.last = (current, now) }
            return state.last
        }
        let seconds = previous.map { Double((now - $0.at).nanoseconds) / 1e9 } ?? 0
        let interval = AdminInterval(before: previous?.reading, after: current, seconds: seconds)
        let hub = context.services.hub
        let summary = hub.summary(top: Self.topicLimit).hop(to: loop)
        let checks = context.readiness(loop)
        let nodes = hub.liveNodes().hop(to: loop)
        return summary.and(checks).and(nodes).map { [self] combined in
            let ((topics, checks), nodes) = combined
            let snapshot = snapshot(interval: interval, topics: topics, checks: checks, otherNodes: nodes.count)
            var body = ByteBuffer()
            snapshot.json.write(to: &body)
            state.withLockedValue { $0.answer = (body, now) }
            return Self.response(body)
        }
    }

    private func snapshot(interval: AdminInterval, topics: TopicSummary, checks: [String: Bool],
                          otherNodes: Int) -> AdminSnapshot {
        let configuration = context.configuration
        let services = context.services
        let bus = configuration.bus.redisURL.map { _ in configuration.bus.redisCluster ? "redis_cluster" : "redis" }
        return AdminSnapshot(
            node: .init(mode: configuration.mode.rawValue, id: services.hub.nodeID,
                        uptimeSeconds: Double((NIODeadline.now() - started).nanoseconds) / 1e9,
                        draining: services.isDraining),
            interval: interval, connections: services.connections.count, topics: topics, checks: checks,
            database: configuration.databaseURL == nil ? "in_memory" : "postgres",
            bus: .init(kind: bus, otherNodes: otherNodes,
                       downForSeconds: services.hub.busDownFor.map { Double($0.nanoseconds) / 1e9 }))
    }

    private static func response(_ body: ByteBuffer) -> HTTPResponse {
        HTTPResponse(status: .ok, headers: ["content-type": "application/json", "cache-control": "no-store"],
                     body: body)
    }
}
