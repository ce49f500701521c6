import Foundation
import NIOCore
import NIOHTTP1
import RallyClient
import RallyProtocol
import RallyServer
import RallyTestSupport
import XCTest

/// Every close the server starts is counted in `rally_server_closes_total{cause}`, and `/metrics` can be kept
/// behind a bearer token.
final class ServerCloseMetricsTests: XCTestCase {
    /// The value of one sample line of `/metrics` (0 when absent).
    private func sample(_ name: String, over http: HTTPClientConnection, headers: HTTPHeaders = [:]) async throws
        -> Double {
        let text = try await http.request(method: .GET, path: "/metrics", headers: headers).get().bodyText
        return text.split(separator: "\n").first { $0.hasPrefix(name + " ") }
            .flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
    }

    /// Scrapes until `name` reaches `target` or 10 s pass; returns the last value.
    private func sample(_ name: String, reaching target: Double, over http: HTTPClientConnection) async throws
        -> Double {
        try await Polling.value({ try await sample(name, over: http) }, until: { $0 >= target })
    }

    func testSlowConsumerCloseIsCounted() async throws {
        let harness = try await NodeHarness { $0.server.maxOutboundBytes = 2048 }
        let http = try await harness.http()
        let name = #"rally_server_closes_total{cause="slow_consumer"}"#
        let before = try await sample(name, over: http)
        let subscriber = try await harness.connect(.v1)
        _ = try await subscriber.connection.join("realtime:flood")
        let payload = JSON.object(["text": .string(String(repeating: "x", count: 200))])
        let messages = (0..<50).map { BroadcastAPI.Message(topic: "flood", event: "m", payload: payload, id: "\($0)") }
        let token = try await harness.token(role: "service_role")
        let posted = try await BroadcastAPI.post(messages, token: token, over: http).get()
        XCTAssertEqual(posted.status, 202)
        let closed = try await subscriber.connection.closeFuture.get()
        XCTAssertEqual(closed.code, 1013)
        let after = try await sample(name, reaching: before + 1, over: http)
        XCTAssertEqual(after - before, 1)
        http.close()
        try await harness.shutdown()
    }

    func testIdleCloseIsCounted() async throws {
        let harness = try await NodeHarness { $0.server.idleTimeout = .milliseconds(200) }
        let http = try await harness.http()
        let name = #"rally_server_closes_total{cause="idle"}"#
        let before = try await sample(name, over: http)
        let silent = try await harness.connect(.v2)
        let closed = try await silent.connection.closeFuture.get()
        XCTAssertEqual(closed.code, 1011)
        let after = try await sample(name, reaching: before + 1, over: http)
        XCTAssertEqual(after - before, 1)
        http.close()
        try await harness.shutdown()
    }

    func testMetricsTokenIsRequiredWhenConfigured() async throws {
        let harness = try await NodeHarness { $0.metricsToken = "scrape-secret-123" }
        let http = try await harness.http()
        let anonymous = try await http.request(method: .GET, path: "/metrics").get()
        XCTAssertEqual(anonymous.status, 401)
        let wrong = try await http.request(method: .GET, path: "/metrics",
                                           headers: ["Authorization": "Bearer nope"]).get()
        XCTAssertEqual(wrong.status, 401)
        let allowed = try await http.request(method: .GET, path: "/metrics",
                                             headers: ["Authorization": "Bearer scrape-secret-123"]).get()
        XCTAssertEqual(allowed.status, 200)
        XCTAssertTrue(allowed.bodyText.contains("rally_connections"), allowed.bodyText)
        http.close()
        try await harness.shutdown()
    }
}
