import Foundation
import NIOCore
import NIOHTTP1
import RallyAuth
import RallyHub
import RallyProtocol
import RallyWebSocket

/// The admin dashboard (README "Admin dashboard"): `GET /admin` (the page) and `/admin/admin.js` (its script) are
/// static and hold no data; `GET /admin/api/stats` (the live numbers) and `POST /admin/api/token` (a `service_role`
/// token for the page's topic inspector) need the admin credential (`AdminAccess`). Not served at all in
/// production without `RALLY_ADMIN_TOKEN`.
struct AdminEndpoint: Sendable {
    let access: AdminAccess
    let sampler: AdminStatsSampler
    let services: HubServices
    /// Lifetime of the inspector tokens minted for the admin token.
    let inspectorTokenLifetime: TimeInterval = 600
    static let page = resource("admin", "html")
    static let script = resource("admin", "js")

    init(configuration: RallyConfiguration, services: HubServices, metrics: MetricsEndpoint,
         readiness: @escaping @Sendable (EventLoop) -> EventLoopFuture<[String: Bool]>) {
        let verifier = services.verifier
        let now = services.now
        self.access = AdminAccess(mode: configuration.mode, adminToken: configuration.adminToken) { token in
            verifier.verify(token, now: now())
        }
        self.sampler = AdminStatsSampler(.init(registry: metrics.registry, services: services,
                                               configuration: configuration, readiness: readiness))
        self.services = services
    }

    static func handles(_ path: String) -> Bool { path == "/admin" || path.hasPrefix("/admin/") }

    func respond(to request: HTTPRequest, target: RequestTarget, on loop: EventLoop) -> EventLoopFuture<HTTPResponse> {
        guard access.isServed else { return loop.makeSucceededFuture(Responses.notFound) }
        switch (request.head.method, target.path) {
        case (.GET, "/admin"), (.GET, "/admin/"):
            return loop.makeSucceededFuture(Self.asset(Self.page, contentType: "text/html; charset=utf-8"))
        case (.GET, "/admin/admin.js"):
            return loop.makeSucceededFuture(Self.asset(Self.script, contentType: "text/javascript; charset=utf-8"))
        case (.GET, "/admin/api/stats"):
            return authorized(request, on: loop) { _ in sampler.stats(on: loop) }
        case (.POST, "/admin/api/token"):
            return authorized(request, on: loop) { decision in inspectorToken(for: decision, on: loop) }
        case (_, "/admin"), (_, "/admin/"), (_, "/admin/admin.js"), (_, "/admin/api/stats"), (_, "/admin/api/token"):
            return loop.makeSucceededFuture(Responses.message(.methodNotAllowed, "Method not allowed"))
        default:
            return loop.makeSucceededFuture(Responses.notFound)
        }
    }

    private func authorized(_ request: HTTPRequest, on loop: EventLoop,
                            _ body: (AdminAccess.Decision) -> EventLoopFuture<HTTPResponse>)
        -> EventLoopFuture<HTTPResponse> {
        let decision = access.decide(request.head.headers)
        switch decision {
        case .adminToken, .serviceRole:
            return body(decision)
        case .disabled:
            return loop.makeSucceededFuture(Responses.notFound)
        case .forbidden:
            services.metrics.rejection("admin_forbidden").increment()
            return loop.makeSucceededFuture(Responses.message(.forbidden, "A service_role token or the admin token is required"))
        case .unauthorized:
            services.metrics.rejection("admin_unauthorized").increment()
            var refused = Responses.message(.unauthorized, "Unauthorized")
            refused.headers.add(name: "www-authenticate", value: "Bearer")
            return loop.makeSucceededFuture(refused)
        }
    }

    /// The token the page's inspector joins topics with: the caller's own `service_role` token, or for the admin
    /// token one minted with the node's HS256 secret (501 when the node verifies with JWKS only and signs nothing).
    private func inspectorToken(for decision: AdminAccess.Decision, on loop: EventLoop)
        -> EventLoopFuture<HTTPResponse> {
        if case .serviceRole(let token) = decision {
            return loop.makeSucceededFuture(Responses.json(.ok, .object(["token": .string(token)])))
        }
        let verifier = services.verifier
        let lifetime = inspectorTokenLifetime
        return loop.futureFromTask {
            do {
                let token = try await verifier.signHS256(subject: nil, role: "service_role",
                                                         expiresAt: Date().addingTimeInterval(lifetime))
                return Responses.json(.ok, .object(["token": .string(token), "expires_in": .int(Int(lifetime))]))
            } catch {
                return Responses.message(.notImplemented,
                                         "This node signs no tokens: sign in with a service_role token to inspect topics")
            }
        }
    }

    private static func asset(_ body: ByteBuffer?, contentType: String) -> HTTPResponse {
        guard let body else { return Responses.message(.internalServerError, "Admin page missing from the bundle") }
        return HTTPResponse(status: .ok, headers: [
            "content-type": contentType, "cache-control": "no-store", "x-frame-options": "DENY",
            "x-content-type-options": "nosniff", "referrer-policy": "no-referrer",
            "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; "
                + "connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
        ], body: body)
    }

    private static func resource(_ name: String, _ ext: String) -> ByteBuffer? {
        guard let url = Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Resources"),
              let data = try? Data(contentsOf: url) else { return nil }
        return ByteBuffer(bytes: data)
    }
}
