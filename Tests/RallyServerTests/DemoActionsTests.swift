import Foundation
import NIOCore
import NIOHTTP1
import RallyClient
import RallyDirectory
import RallyProtocol
import RallyServer
import XCTest

/// The demo page's actions (`/demo/rsvp`, `/demo/event`, `/demo/notify`, `/demo/plan`) write to the in-memory
/// directory, and what they change reaches subscribers through the change pipeline, filtered by the same rules.
final class DemoActionsTests: XCTestCase {
    var harness: NodeHarness!
    var http: HTTPClientConnection!

    override func setUp() async throws {
        harness = try await NodeHarness { $0.demoTokensWithGivenSecret = true }
        http = try await harness.http()
        try await harness.waitUntilListening()
    }

    override func tearDown() async throws {
        http.close()
        try await harness.shutdown()
    }

    func testRSVPMovesTheCountAndReachesTheFriendButNotTheStranger() async throws {
        let bob = try await harness.connect(as: DemoData.bob)
        let dave = try await harness.connect(as: DemoData.dave)
        let studio = DemoData.bobOpenStudio.topic("event")
        try await bob.assertJoins(studio)
        try await bob.assertJoins(DemoData.bob.topic("feed"))
        try await dave.assertJoins(DemoData.dave.topic("feed"))
        try await dave.assertJoins(DemoData.bob.topic("profile"))
        let rsvp = ["event_id": id(DemoData.bobOpenStudio), "status": "going"]
        try await assertStatus(200, "/demo/rsvp", as: DemoData.alice, rsvp)
        XCTAssertNotNil(bob.events.first {
            $0.topic == studio && $0.broadcastEvent == "capacity"
                && TestConnection.field($0.broadcastPayload, "going") == .int(1)
        })
        bob.waitFor("activity", on: DemoData.bob.topic("feed"), "actor_id", id(DemoData.alice))
        try await assertStatus(200, "/demo/rsvp", as: DemoData.bob, ["event_id": id(DemoData.bobOpenStudio),
                                                                    "status": "interested"])
        // Bob's public item reaches Dave after Alice's friends-only one would have: hers never came.
        dave.waitFor("activity", on: DemoData.bob.topic("profile"), "actor_id", id(DemoData.bob))
        XCTAssertEqual(dave.events.all.filter { $0.broadcastEvent == "activity" }.count, 1)
    }

    func testNotificationAndPlanStatusArriveLive() async throws {
        let bob = try await harness.connect(as: DemoData.bob)
        try await bob.assertJoins(DemoData.bob.topic("user"))
        try await bob.assertJoins(DemoData.fridayDinner.topic("plan"))
        try await assertStatus(200, "/demo/notify", as: DemoData.alice, ["to": id(DemoData.bob), "message": "hi"])
        bob.waitFor("notification", on: DemoData.bob.topic("user"), "title", "Alice nudged you")
        try await assertStatus(200, "/demo/plan", as: DemoData.alice, ["plan_id": id(DemoData.fridayDinner),
                                                                     "status": "confirmed"])
        bob.waitFor("plan", on: DemoData.fridayDinner.topic("plan"), "status", "confirmed")
        try await assertStatus(200, "/demo/event", as: DemoData.alice, ["title": "Picnic"])
    }

    func testActionsFollowTheRulesAndRefuseWhatIsNotADemoPersonsRequest() async throws {
        // Blocked, not a participant, an event hidden from the actor.
        try await assertStatus(403, "/demo/notify", as: DemoData.dave, ["to": id(DemoData.erin), "message": "hi"])
        try await assertStatus(403, "/demo/plan", as: DemoData.erin, ["plan_id": id(DemoData.fridayDinner),
                                                                    "status": "cancelled"])
        try await assertStatus(403, "/demo/rsvp", as: DemoData.dave, ["event_id": id(DemoData.carolBookClub),
                                                                    "status": "going"])
        // Malformed bodies, no token, a token without a person, the wrong method.
        try await assertStatus(422, "/demo/rsvp", as: DemoData.alice, ["event_id": "x", "status": "going"])
        try await assertStatus(422, "/demo/plan", as: DemoData.alice, ["plan_id": id(DemoData.fridayDinner),
                                                                     "status": "party"])
        try await assertStatus(401, "/demo/rsvp", as: nil, ["event_id": id(DemoData.bobOpenStudio), "status": "going"])
        try await assertStatus(401, "/demo/event", as: UUID(), ["title": "not a demo person's"])
        let service = try await harness.token(role: "service_role")
        let anonymous = try await http.request(method: .POST, path: "/demo/event",
                                               headers: ["authorization": "Bearer \(service)"],
                                               body: ByteBuffer(string: #"{"title":"x"}"#)).get()
        XCTAssertEqual(anonymous.status, 401)
        let get = try await http.request(method: .GET, path: "/demo/rsvp").get()
        XCTAssertEqual(get.status, 405)
    }

    func testTokensAndTheWorldOfADemoPerson() async throws {
        let minted = try await http.request(method: .GET, path: "/demo/token?as=Alice").get()
        XCTAssertEqual(try JSON.parse(minted.body)["user_id"]?.stringValue, id(DemoData.alice))
        let unknown = try await http.request(method: .GET, path: "/demo/token?as=nobody").get()
        XCTAssertEqual(unknown.status, 404)
        let worldResponse = try await http.request(method: .GET, path: "/demo/world?as=dave").get()
        let world = try JSON.parse(worldResponse.body)
        let erin = world["people"]?.arrayValue?.first { $0["name"]?.stringValue == "Erin" }
        XCTAssertEqual(erin?["relationship"]?.stringValue, "blocking")
        for asset in ["/", "/demo.js", "/rally-client.js", "/demo.css"] {
            let response = try await http.request(method: .GET, path: asset).get()
            XCTAssertEqual(response.status, 200, asset)
        }
    }

    private func id(_ uuid: UUID) -> String { uuid.uuidString.lowercased() }

    private func assertStatus(_ status: Int, _ path: String, as person: UUID?, _ body: [String: String],
                              file: StaticString = #filePath, line: UInt = #line) async throws {
        var headers: HTTPHeaders = ["content-type": "application/json"]
        if let person { headers.add(name: "authorization", value: "Bearer \(try await harness.userToken(person))") }
        let json = JSON.object(JSONObject(body.map { JSONObject.Field(key: $0.key, value: .string($0.value)) }))
        let response = try await http.request(method: .POST, path: path, headers: headers,
                                              body: ByteBuffer(string: json.serializedString())).get()
        XCTAssertEqual(response.status, status, "\(path): \(response.bodyText)", file: file, line: line)
    }
}
