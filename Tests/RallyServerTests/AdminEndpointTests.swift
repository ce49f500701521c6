import Foundation
import NIOCore
import NIOHTTP1
import RallyClient
import RallyProtocol
@testable import RallyServer
import RallyTestSupport
import XCTest

/// `/admin` over loopback: who may open it in each mode, and what its snapshot counts.
final class AdminEndpointTests: XCTestCase {
    static let adminToken = "admin-secret-for-tests-0123"

    private func get(_ http: HTTPClientConnection, _ path: String, bearer: String? = nil) async throws
        -> HTTPClientResponse {
        var headers = HTTPHeaders()
        if let bearer { headers.add(name: "authorization", value: "Bearer \(bearer)") }
        return try await http.request(method: .GET, path: path, headers: headers).get()
    }

    func testEmbeddedModeOpensStatsToServiceRoleTokensOnly() async throws {
        let harness = try await NodeHarness()  // embedded, no admin token
        let http = try await harness.http()
        let missing = try await get(http, "/admin/api/stats")
        XCTAssertEqual(missing.status, 401)
        XCTAssertEqual(missing.headers.first(name: "www-authenticate"), "Bearer")
        let got1 = try await get(http, "/admin/api/stats", bearer: "not-a-token").status
        XCTAssertEqual(got1, 401)
        let got2 = try await get(http, "/admin/api/stats", bearer: Self.adminToken).status
        XCTAssertEqual(got2, 401, "no admin token is configured, so none is accepted")
        let token3 = try await harness.token()
        let got4 = try await get(http, "/admin/api/stats", bearer: token3).status
        XCTAssertEqual(got4, 403)
        let token5 = try await harness.token(role: "anon")
        let got6 = try await get(http, "/admin/api/stats", bearer: token5).status
        XCTAssertEqual(got6, 403)
        let service = try await harness.token(role: "service_role")
        let stats = try await get(http, "/admin/api/stats", bearer: service)
        XCTAssertEqual(stats.status, 200)
        XCTAssertEqual(try JSON.parse(stats.body)["node"]?["mode"], .string("embedded"))
        var headers = HTTPHeaders()
        headers.add(name: "authorization", value: "Bearer \(service)")
        let inspector = try await http.request(method: .POST, path: "/admin/api/token", headers: headers).get()
        XCTAssertEqual(try JSON.parse(inspector.body)["token"], .string(service), "a service_role caller keeps its token")
        let got7 = try await http.request(method: .POST, path: "/admin/api/stats", headers: headers).get().status
        XCTAssertEqual(got7, 405)
        let page = try await get(http, "/admin")
        XCTAssertEqual(page.status, 200, "the page holds no data: it asks for the credential")
        XCTAssertTrue(page.bodyText.contains("/admin/admin.js"))
        XCTAssertNotNil(page.headers.first(name: "content-security-policy"))
        let got8 = try await get(http, "/admin/admin.js").status
        XCTAssertEqual(got8, 200)
        let got9 = try await get(http, "/admin/other").status
        XCTAssertEqual(got9, 404)
        http.close()
        try await harness.shutdown()
    }

    func testTheAdminTokenOpensStatsAndGetsAnInspectorToken() async throws {
        let harness = try await NodeHarness { $0.adminToken = Self.adminToken }
        let http = try await harness.http()
        let got10 = try await get(http, "/admin/api/stats", bearer: Self.adminToken).status
        XCTAssertEqual(got10, 200)
        let got11 = try await get(http, "/admin/api/stats", bearer: Self.adminToken + "x").status
        XCTAssertEqual(got11, 401)
        var headers = HTTPHeaders()
        headers.add(name: "authorization", value: "Bearer \(Self.adminToken)")
        let inspector = try await http.request(method: .POST, path: "/admin/api/token", headers: headers).get()
        XCTAssertEqual(inspector.status, 200)
        let minted = try XCTUnwrap(try JSON.parse(inspector.body)["token"]?.stringValue)
        let identity = try harness.node.services.verifier.verify(minted, now: Date()).get()
        XCTAssertEqual(identity.role, .serviceRole)
        http.close()
        try await harness.shutdown()
    }

    func testProductionServesNoDashboardWithoutAnAdminToken() async throws {
        let closed = try await NodeHarness { $0.mode = .production }
        var http = try await closed.http()
        let service = try await closed.token(role: "service_role")
        for path in ["/admin", "/admin/admin.js", "/admin/api/stats"] {
            let got12 = try await get(http, path, bearer: service).status
            XCTAssertEqual(got12, 404, path)
        }
        http.close()
        try await closed.shutdown()

        let open = try await NodeHarness {
            $0.mode = .production
            $0.adminToken = Self.adminToken
        }
        http = try await open.http()
        let got13 = try await get(http, "/admin").status
        XCTAssertEqual(got13, 200)
        let got14 = try await get(http, "/admin/api/stats").status
        XCTAssertEqual(got14, 401)
        let got15 = try await get(http, "/admin/api/stats", bearer: Self.adminToken).status
        XCTAssertEqual(got15, 200)
        let token16 = try await open.token(role: "service_role")
        let got17 = try await get(http, "/admin/api/stats", bearer: token16).status
        XCTAssertEqual(got17, 200)
        http.close()
        try await open.shutdown()
    }

    func testAShortAdminTokenIsRefused() throws {
        var configuration = RallyConfiguration()
        XCTAssertThrowsError(try configuration.apply(environment: ["RALLY_ADMIN_TOKEN": "short"]))
        try configuration.apply(environment: ["RALLY_ADMIN_TOKEN": Self.adminToken])
        XCTAssertEqual(configuration.adminToken, Self.adminToken)
    }

    func testSnapshotCountsConnectionsChannelsTopicsAndTraffic() async throws {
        let harness = try await NodeHarness { $0.adminToken = Self.adminToken }
        let http = try await harness.http()
        let first = try JSON.parse(try await get(http, "/admin/api/stats", bearer: Self.adminToken).body)
        let busy = [try await harness.connect(.v1), try await harness.connect(.v2), try await harness.connect(.v2)]
        for client in busy { _ = try await client.connection.join("realtime:admin-busy") }
        let quiet = try await harness.connect(.v2)
        _ = try await quiet.connection.join("realtime:admin-quiet")
        for n in 1...2 {
            _ = try await busy[0].connection.broadcast(topic: "realtime:admin-busy", event: "tick",
                                                       payload: .object(["n": .int(n)]))
        }
        for client in busy.dropFirst() { _ = client.events.wait(count: 2) { $0.broadcastEvent == "tick" } }

        func total(_ stats: JSON, _ key: String) -> Double {
            guard case .number(let text)? = stats["totals"]?[key] else { return 0 }
            return Double(text) ?? 0
        }
        let stats = try await Polling.value({
            try JSON.parse(try await get(http, "/admin/api/stats", bearer: Self.adminToken).body)
        }, until: { total($0, "deliveries") - total(first, "deliveries") >= 4 && $0["channels"] == .int(4) })
        XCTAssertEqual(stats["connections"], .int(4))
        XCTAssertEqual(stats["channels"], .int(4))
        XCTAssertEqual(stats["topics"], .int(2))
        XCTAssertGreaterThanOrEqual(total(stats, "joins") - total(first, "joins"), 4)
        XCTAssertGreaterThanOrEqual(total(stats, "published") - total(first, "published"), 2)
        XCTAssertGreaterThanOrEqual(total(stats, "deliveries") - total(first, "deliveries"), 4,
                                    "two messages to the two other subscribers")
        let busiest = try XCTUnwrap(stats["busiest"]?.arrayValue)
        XCTAssertEqual(busiest.first?["topic"], .string("realtime:admin-busy"))
        XCTAssertEqual(busiest.first?["subscribers"], .int(3))
        XCTAssertEqual(busiest.last?["topic"], .string("realtime:admin-quiet"))
        XCTAssertEqual(stats["database"]?["kind"], .string("in_memory"))
        XCTAssertEqual(stats["bus"]?["configured"], .bool(false))
        XCTAssertNotNil(stats["fanout_ms"]?["p99"])
        http.close()
        try await harness.shutdown()
    }
}
