import Foundation
import NIOCore
import NIOHTTP1
import RallyClient
import RallyDirectory
import RallyProtocol
import XCTest

/// The REST publish path of realtime-js (`channel.httpSend()` and `send()` before a channel is joined), with
/// requests shaped exactly as it sends them: `POST <url>/realtime/v1/api/broadcast[/<topic>/events/<event>]`,
/// `apikey` and `Authorization: Bearer <user token>`. A user's publish is decided by the rules of the same
/// user's broadcast on a joined socket (see also `RESTAuthorizationMatrixTests`).
final class RESTBroadcastTests: XCTestCase {
    var harness: NodeHarness!
    var rest: RealtimeJSRequests!
    let group = DemoData.rooftopCrew.topic("group")
    let room = "realtime:lobby"

    override func setUp() async throws {
        harness = try await NodeHarness()
        rest = try await RealtimeJSRequests(harness)
    }

    override func tearDown() async throws {
        try await rest.close()
    }

    func testHttpSendOfAUserReachesASubscriber() async throws {
        let bob = try await rest.joined(DemoData.bob, room)
        let response = try await rest.httpSend(as: DemoData.alice, topic: "lobby", event: "cursor",
                                               payload: object("x", "1"))
        XCTAssertEqual(response.status, 202, response.bodyText)
        XCTAssertEqual(response.body.readableBytes, 0, "Supabase's 202 has no body")
        bob.waitFor("cursor", on: room, "x", "1")
    }

    func testUnjoinedSendFallbackPostsABatchOfOne() async throws {
        let bob = try await rest.joined(DemoData.bob, group)
        let body = JSON.object(["messages": .array([.object([
            "topic": .string(String(group.dropFirst("realtime:".count))), "event": .string("typing"),
            "payload": object("who", "alice"), "private": .bool(false),
        ])])])
        let response = try await rest.post("/realtime/v1/api/broadcast", as: DemoData.alice, body: body)
        XCTAssertEqual(response.status, 202, response.bodyText)
        bob.waitFor("typing", on: group, "who", "alice")
    }

    func testBinaryHttpSendIsDeliveredAsBinary() async throws {
        let bob = try await rest.joined(DemoData.bob, room, version: .v2)
        let response = try await rest.httpSend(as: DemoData.alice, topic: "lobby", event: "blob", binary: [1, 2, 3])
        XCTAssertEqual(response.status, 202, response.bodyText)
        let got = bob.events.first { $0.broadcastEvent == "blob" }
        guard case .binary(let bytes)? = got?.broadcastPayload else {
            return XCTFail("not binary: \(String(describing: got))")
        }
        XCTAssertEqual(Array(bytes.readableBytesView), [1, 2, 3])
    }

    func testGroupChatSentOverRESTIsStoredAsChat() async throws {
        let bob = try await rest.joined(DemoData.bob, group)
        let response = try await rest.httpSend(as: DemoData.alice, topic: String(group.dropFirst(9)), event: "message",
                                          payload: object("body", "over rest"))
        XCTAssertEqual(response.status, 202, response.bodyText)
        let got = bob.waitFor("message", on: group, "body", "over rest")
        XCTAssertNotNil(TestConnection.field(got?.broadcastPayload, "id"), "a stored message carries its id")
        let empty = try await rest.httpSend(as: DemoData.alice, topic: String(group.dropFirst(9)), event: "message",
                                       payload: object("body", ""))
        XCTAssertEqual(empty.status, 403)
        XCTAssertTrue(rest.message(empty).hasPrefix("InvalidMessage"), rest.message(empty))
    }

    func testATokenThatDoesNotVerifyIsUnauthorized() async throws {
        var headers = RealtimeJSRequests.headers(token: "not-a-jwt")
        headers.add(name: "Content-Type", value: "application/json")
        let response = try await rest.http.post(path: "/realtime/v1/api/broadcast/lobby/events/x", headers: headers,
                                           body: ByteBuffer(string: "{}")).get()
        XCTAssertEqual(response.status, 401)
        XCTAssertEqual(rest.message(response), "Unauthorized")
    }

    func testABatchStatesWhichMessagesWereRefused() async throws {
        let bob = try await rest.joined(DemoData.bob, room)
        let carol = String(group.dropFirst(9))
        let mixed = JSON.object(["messages": .array([
            .object(["topic": .string("lobby"), "event": .string("hi"), "payload": object("n", "1")]),
            .object(["topic": .string(carol), "event": .string("typing"), "payload": object("n", "2")]),
        ])])
        let partial = try await rest.post("/realtime/v1/api/broadcast", as: DemoData.carol, body: mixed)
        XCTAssertEqual(partial.status, 202)
        let refused = try JSON.parse(partial.body)["refused"]?.arrayValue ?? []
        XCTAssertEqual(refused.count, 1)
        XCTAssertEqual(refused.first?["index"], .int(1))
        XCTAssertEqual(refused.first?["status"], .int(403))
        XCTAssertEqual(refused.first?["topic"], .string(carol))
        bob.waitFor("hi", on: room, "n", "1")

        let none = JSON.object(["messages": .array([
            .object(["topic": .string(carol), "event": .string("typing"), "payload": object("n", "3")]),
        ])])
        let all = try await rest.post("/realtime/v1/api/broadcast", as: DemoData.carol, body: none)
        XCTAssertEqual(all.status, 403, "send() reports 'error' only on a non-2xx answer")
        XCTAssertTrue(rest.message(all).hasPrefix("Unauthorized"), rest.message(all))
        XCTAssertEqual(try JSON.parse(all.body)["refused"]?.arrayValue?.count, 1)
    }

    func testTheOldPathsStillAnswer() async throws {
        let service = try await harness.token(role: "service_role")
        let message = BroadcastAPI.Message(topic: "lobby", event: "x", payload: .emptyObject)
        let batch = try await BroadcastAPI.post([message], token: service, over: rest.http).get()
        XCTAssertEqual(batch.status, 202)
        let headers = BroadcastAPI.headers(token: service)
        let single = try await rest.http.post(path: "/api/broadcast/lobby/events/x", headers: headers,
                                              body: ByteBuffer(string: "{}")).get()
        XCTAssertEqual(single.status, 202)
        let unknown = try await rest.http.post(path: "/realtime/v1/api/broadcast/lobby", headers: headers,
                                               body: ByteBuffer(string: "{}")).get()
        XCTAssertEqual(unknown.status, 404)
    }

    // MARK: CORS

    func testPreflightAndActualResponseCarryCORSHeaders() async throws {
        let preflight = try await rest.http.request(method: .OPTIONS, path: "/realtime/v1/api/broadcast/lobby/events/x",
                                               headers: RealtimeJSRequests.preflightHeaders).get()
        XCTAssertEqual(preflight.status, 204)
        XCTAssertEqual(preflight.headers.first(name: "access-control-allow-origin"), "*")
        XCTAssertEqual(preflight.headers.first(name: "access-control-allow-methods"), "POST, OPTIONS")
        XCTAssertEqual(preflight.headers.first(name: "access-control-allow-headers"),
                       "apikey, authorization, content-type, x-client-info")
        XCTAssertEqual(preflight.headers.first(name: "access-control-max-age"), "7200")
        var headers = try await RealtimeJSRequests.realtimeJSHeaders(token: harness.userToken(DemoData.alice))
        headers.add(name: "Origin", value: "http://127.0.0.1:5173")
        let actual = try await rest.http.post(path: "/realtime/v1/api/broadcast/lobby/events/x", headers: headers,
                                         body: ByteBuffer(string: "{}")).get()
        XCTAssertEqual(actual.status, 202)
        XCTAssertEqual(actual.headers.first(name: "access-control-allow-origin"), "*")
    }
}
