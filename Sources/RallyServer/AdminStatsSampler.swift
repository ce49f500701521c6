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
        /// The sample being taken: requests meanwhile wait for it rather than take one of their own.
        var pending: EventLoopFuture<ByteBuffer>?
    }

    /// What a request does: answer with the last sample, wait for the one under way, or take one.
    private enum Claim {
        case ready(ByteBuffer)
        case waiting(EventLoopFuture<ByteBuffer>)
        case sample(AdminInterval, EventLoopPromise<ByteBuffer>)
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
        switch claim(on: loop) {
        case .ready(let body):
            return loop.makeSucceededFuture(Self.response(body))
        case .waiting(let pending):
            return pending.hop(to: loop).map(Self.response)
        case .sample(let interval, let promise):
            let hub = context.services.hub
            let summary = hub.summary(top: Self.topicLimit).hop(to: loop)
            let nodes = hub.liveNodes().hop(to: loop)
            summary.and(context.readiness(loop)).and(nodes).map { [self] combined in
                let ((topics, checks), nodes) = combined
                var body = ByteBuffer()
                snapshot(interval: interval, topics: topics, checks: checks, otherNodes: nodes.count).json.write(to: &body)
                return body
            }.cascade(to: promise)
            promise.futureResult.whenComplete { [state] result in
                state.withLockedValue { state in
                    state.pending = nil
                    if case .success(let body) = result { state.answer = (body, NIODeadline.now()) }
                }
            }
            return promise.futureResult.map(Self.response)
        }
    }

    /// Decides under the lock, so two requests never take samples a moment apart (their rates would be noise).
    private func claim(on loop: EventLoop) -> Claim {
        let registry = context.registry
        return state.withLockedValue { state in
            let now = NIODeadline.now()
            if let answer = state.answer, now - answer.at < minimumInterval { return .ready(answer.body) }
            if let pending = state.pending { return .waiting(pending) }
            let current = AdminMetricsReading(prometheusText: String(decoding: registry.emitToBuffer(), as: UTF8.self))
            let previous = state.last
            state.last = (current, now)
            let seconds = previous.map { Double((now - $0.at).nanoseconds) / 1e9 } ?? 0
            let promise = loop.makePromise(of: ByteBuffer.self)
            state.pending = promise.futureResult
            return .sample(AdminInterval(before: previous?.reading, after: current, seconds: seconds), promise)
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
