import Foundation
import NIOCore
import NIOHTTP1
import RallyClient
import RallyProtocol
import RallyTestSupport
import XCTest

/// The whole server over loopback with Rally's own client: v1 and v2 (binary kind 3/4) side by side, REST
/// broadcast, refused tokens, health endpoints, drain.
final class EndToEndTests: XCTestCase {
    func testV2BinaryBroadcastReachesV2AsKind4AndV1AsJSON() async throws {
        let harness = try await NodeHarness()
        let sender = try await harness.connect(.v2)
        let v1 = try await harness.connect(.v1)
        let v2 = try await harness.connect(.v2)
        for client in [sender, v1, v2] {
            let reply = try await client.connection.join("realtime:e2e", options: JoinOptions(broadcastAck: true))
            XCTAssertTrue(reply.isOK, "\(reply)")
        }
        let ack = try await sender.connection.broadcast(topic: "realtime:e2e", event: "cursor",
                                                        payload: .object(["x": .int(3)]), awaitAck: true)
        XCTAssertEqual(ack?.isOK, true)
        let binary = v2.events.first { $0.broadcastEvent == "cursor" }
        XCTAssertEqual(binary?.framing, .binaryUserBroadcast)
        let text = v1.events.first { $0.broadcastEvent == "cursor" }
        XCTAssertEqual(text?.payload["payload"]?["x"], .number("3"))
        XCTAssertEqual(text?.framing, .v1Object)
        try await harness.shutdown()
    }

    func testRESTBroadcastNeedsAValidTokenAndFansOut() async throws {
        let harness = try await NodeHarness()
        let subscriber = try await harness.connect(.v1)
        _ = try await subscriber.connection.join("realtime:news")
        let http = try await harness.http()
        let message = BroadcastAPI.Message(topic: "news", event: "headline", payload: .object(["t": .string("hi")]),
                                           id: "m-1")
        let refused = try await BroadcastAPI.post([message], token: "not-a-token", over: http).get()
        XCTAssertEqual(refused.status, 401)
        XCTAssertEqual(try JSON.parse(refused.body)["message"], .string("Unauthorized"))
        let serviceToken = try await harness.token(role: "service_role")
        let accepted = try await BroadcastAPI.post([message], token: serviceToken, over: http).get()
        XCTAssertEqual(accepted.status, 202)
        let got = subscriber.events.first { $0.broadcastEvent == "headline" }
        XCTAssertEqual(got?.payload["meta"]?["id"], .string("m-1"))
        http.close()
        try await harness.shutdown()
    }

    func testRefusedTokensGetSupabaseStatusAndBody() async throws {
        let harness = try await NodeHarness()
        let expired = try await harness.token(expiresIn: -10)
        let cases: [(String?, String)] = [
            (nil, "API key is missing"), ("garbage", "The token provided is not a valid JWT"),
            (expired, "Token has expired"),
        ]
        for (token, message) in cases {
            do {
                _ = try await RealtimeConnection.connect(to: harness.base, version: .v1, apiKey: token,
                                                         on: harness.clientGroup)
                XCTFail("connected with \(token ?? "no token")")
            } catch WebSocketClientError.upgradeRefused(let status, _, let body) {
                XCTAssertEqual(status, 401)
                XCTAssertEqual(try JSON.parse(ByteBuffer(string: body))["error"], .string(message))
            }
        }
        try await harness.shutdown()
    }

    func testHealthReadinessAndMetrics() async throws {
        let harness = try await NodeHarness()
        let http = try await harness.http()
        let health = try await http.request(method: .GET, path: "/healthz").get()
        XCTAssertEqual(health.status, 200)
        let ready = try await http.request(method: .GET, path: "/readyz").get()
        XCTAssertEqual(ready.status, 200)
        _ = try await harness.connect(.v1)
        let metrics = try await http.request(method: .GET, path: "/metrics").get()
        XCTAssertTrue(metrics.bodyText.contains("rally_connections_opened_total"), metrics.bodyText)
        http.close()
        try await harness.shutdown()
    }

    func testFanoutMetricsCountDeliveriesAndTimeEachFanout() async throws {
        let harness = try await NodeHarness()
        let http = try await harness.http()
        func scrape() async throws -> (deliveries: Double, fanouts: Double) {
            let text = try await http.request(method: .GET, path: "/metrics").get().bodyText
            func value(_ name: String) -> Double {
                text.split(separator: "\n").first { $0.hasPrefix(name + " ") }
                    .flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
            }
            return (value("rally_fanout_deliveries_total"), value("rally_fanout_seconds_count"))
        }
        let subscribers = [try await harness.connect(.v1), try await harness.connect(.v2), try await harness.connect(.v2)]
        for client in subscribers { _ = try await client.connection.join("realtime:metered") }
        let before = try await scrape()
        let publisher = try await harness.connect(.v2)
        _ = try await publisher.connection.join("realtime:metered")
        _ = try await publisher.connection.broadcast(topic: "realtime:metered", event: "tick",
                                                     payload: .object(["n": .int(1)]))
        for client in subscribers { XCTAssertNotNil(client.events.first { $0.broadcastEvent == "tick" }) }
        let after = try await Polling.value(timeout: .seconds(5), scrape) { $0.deliveries >= before.deliveries + 3 }
        XCTAssertGreaterThanOrEqual(after.deliveries - before.deliveries, 3, "one per subscriber, not the sender")
        XCTAssertGreaterThanOrEqual(after.fanouts - before.fanouts, 1)
        http.close()
        try await harness.shutdown()
    }

    func testDrainClosesSocketsWith1012() async throws {
        let harness = try await NodeHarness()
        let client = try await harness.connect(.v2)
        _ = try await client.connection.join("realtime:d")
        await harness.node.drainAndStop()
        let info = try await client.connection.closeFuture.get()
        XCTAssertEqual(info.code, 1012)
        try await harness.clientGroup.shutdownGracefully()
    }
}
