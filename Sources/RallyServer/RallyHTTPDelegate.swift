import NIOCore
import NIOHTTP1
import RallyHub
import RallyProtocol
import RallyWebSocket

/// Routes every request of the node: realtime upgrades, `/echo`, health, metrics, the REST broadcast API and, in
/// embedded mode, the demo page and its tokens.
final class RallyHTTPDelegate: HTTPServerDelegate {
    private let configuration: RallyConfiguration
    private let services: HubServices
    private let realtime: RealtimeUpgrade
    private let broadcast: BroadcastEndpoint
    private let cors: CORSPolicy
    private let metrics: MetricsEndpoint
    private let demo: DemoEndpoints?
    private let admin: AdminEndpoint
    private let readiness: @Sendable (EventLoop) -> EventLoopFuture<[String: Bool]>

    init(configuration: RallyConfiguration, services: HubServices, metrics: MetricsEndpoint, demo: DemoEndpoints?,
         readiness: @escaping @Sendable (EventLoop) -> EventLoopFuture<[String: Bool]>) {
        self.configuration = configuration
        self.services = services
        self.realtime = RealtimeUpgrade(
            services: services,
            admission: ConnectionAdmission(maxTotal: configuration.maxConnections,
                                           maxPerAddress: configuration.maxConnectionsPerIP),
            connectErrorDelay: configuration.connectErrorDelay)
        self.broadcast = BroadcastEndpoint(services: services)
        self.cors = CORSPolicy(origins: configuration.effectiveCORSOrigins)
        self.metrics = metrics
        self.demo = demo
        self.admin = AdminEndpoint(configuration: configuration, services: services, metrics: metrics,
                                   readiness: readiness)
        self.readiness = readiness
    }

    static let realtimePaths: Set<String> = ["/realtime/v1/websocket", "/socket/websocket"]

    func upgradeDecision(for request: HTTPRequest, eventLoop: EventLoop) -> EventLoopFuture<UpgradeDecision> {
        let target = RequestTarget(request.head.uri)
        if Self.realtimePaths.contains(target.path) {
            return realtime.decide(request, target: target, on: eventLoop)
        }
        if target.path == "/echo" && configuration.isEchoEnabled {
            return eventLoop.makeSucceededFuture(.upgrade(EchoSessionHandler()))
        }
        return eventLoop.makeSucceededFuture(.reject(Responses.notFound))
    }

    func respond(to request: HTTPRequest, eventLoop: EventLoop) -> EventLoopFuture<HTTPResponse> {
        let target = RequestTarget(request.head.uri)
        if let path = Self.apiPath(target.path) { return api(request, path: path, query: target.query, on: eventLoop) }
        switch target.path {
        case "/healthz":
            return eventLoop.makeSucceededFuture(Responses.json(.ok, .object(["status": .string("ok")])))
        case "/readyz":
            return ready(on: eventLoop)
        case "/metrics":
            return eventLoop.makeSucceededFuture(metrics.response(to: request.head.headers,
                                                                  token: configuration.metricsToken))
        case let path where AdminEndpoint.handles(path):
            return admin.respond(to: request, target: target, on: eventLoop)
        case let path where Self.realtimePaths.contains(path):
            return eventLoop.makeSucceededFuture(Responses.connectError(.badRequest, "Expected a WebSocket upgrade"))
        default:
            if let demo, let response = demo.respond(to: request, target: target, on: eventLoop) {
                return response
            }
            return eventLoop.makeSucceededFuture(Responses.notFound)
        }
    }

    /// The REST API under `/api/broadcast`, also under `/realtime/v1/api/broadcast` (where realtime-js posts, as
    /// Supabase's gateway maps it): the path without that prefix, or nil for another path.
    static func apiPath(_ path: String) -> String? {
        let bare = path.hasPrefix("/realtime/v1/api/") ? String(path.dropFirst("/realtime/v1".count)) : path
        return bare == "/api/broadcast" || bare.hasPrefix("/api/broadcast/") ? bare : nil
    }

    private func api(_ request: HTTPRequest, path: String, query: [String: String], on loop: EventLoop)
        -> EventLoopFuture<HTTPResponse> {
        if request.head.method == .OPTIONS { return loop.makeSucceededFuture(cors.preflight(request)) }
        return broadcast.handle(request, path: path, query: query, on: loop).map { [cors] in
            cors.decorate($0, for: request)
        }
    }

    /// 200 when accepting work and every dependency answers; 503 with the failing ones otherwise.
    private func ready(on loop: EventLoop) -> EventLoopFuture<HTTPResponse> {
        let draining = services.isDraining
        return readiness(loop).map { checks in
            var body = JSONObject()
            body["draining"] = .bool(draining)
            for (name, ok) in checks.sorted(by: { $0.key < $1.key }) { body[name] = .bool(ok) }
            let ready = !draining && checks.values.allSatisfy { $0 }
            body["status"] = .string(ready ? "ready" : "not_ready")
            return Responses.json(ready ? .ok : .serviceUnavailable, .object(body))
        }
    }
}
