import Foundation
import NIOCore
import RallyClient
import RallyDirectory
import RallyLive
import RallyProtocol
import XCTest

/// Event names Rally sends on live topics cannot be forged by a client that may write there (text and binary
/// broadcasts alike, in any letter case); free-form rooms keep any name. And a `service_role` join of an id that
/// does not exist is answered as such.
final class ReservedEventTests: XCTestCase {
    var harness: NodeHarness!

    override func setUp() async throws {
        harness = try await NodeHarness()
    }

    override func tearDown() async throws {
        try await harness.shutdown()
    }

    func testAMemberCannotForgeChatEditsOrDeletions() async throws {
        let group = DemoData.rooftopCrew.topic("group")
        let alice = try await harness.connect(as: DemoData.alice)
        let bob = try await harness.connect(as: DemoData.bob)
        try await alice.assertJoins(group)
        try await bob.assertJoins(group)
        let forged = ["message_deleted", "message_updated", "replay_done", "Message_Deleted", "MESSAGE", "presence_diff"]
        for event in forged {
            try await assertRefused(bob, group, event)
        }
        try await bob.connection.broadcast(topic: group, event: "typing", payload: object("marker", "1"))
        alice.waitFor("typing", on: group, "marker", "1")
        XCTAssertEqual(alice.events.all.filter { $0.broadcastEvent != "typing" && $0.event == "broadcast" }.count, 0)
    }

    func testAParticipantCannotForgeThePlanStatusButMayVote() async throws {
        let plan = DemoData.fridayDinner.topic("plan")
        let alice = try await harness.connect(as: DemoData.alice)
        let bob = try await harness.connect(as: DemoData.bob, version: .v2)
        try await alice.assertJoins(plan)
        try await bob.assertJoins(plan)
        try await assertRefused(bob, plan, "plan", payload: .object(["status": .string("cancelled"),
                                                                     "live": .bool(true)]))
        try await bob.connection.broadcast(topic: plan, event: "vote", payload: object("choice", "tacos"))
        alice.waitFor("vote", on: plan, "choice", "tacos")
        XCTAssertEqual(alice.values("plan", on: plan, "status"), ["planning"], "only the server's own plan item")
    }

    func testAnOwnerCannotForgeActivityOnTheirProfile() async throws {
        let profile = DemoData.bob.topic("profile")
        let bob = try await harness.connect(as: DemoData.bob)
        try await bob.assertJoins(profile)
        try await assertRefused(bob, profile, "activity", payload: object("actor_id", DemoData.carol.uuidString))
    }

    func testFreeFormRoomsKeepEveryName() async throws {
        let room = "realtime:lobby"
        let alice = try await harness.connect(as: DemoData.alice)
        let bob = try await harness.connect(as: DemoData.bob)
        try await alice.assertJoins(room)
        try await bob.assertJoins(room)
        try await bob.connection.broadcast(topic: room, event: "plan", payload: object("status", "cancelled"))
        alice.waitFor("plan", on: room, "status", "cancelled")
    }

    func testEveryNameRallySendsIsReservedWhereItIsSent() {
        XCTAssertTrue(LiveEvents.isReserved("capacity", on: .event))
        XCTAssertTrue(LiveEvents.isReserved("notification_updated", on: .user))
        XCTAssertTrue(LiveEvents.isReserved("ACTIVITY", on: .feed))
        XCTAssertTrue(LiveEvents.isReserved("system", on: .plan))
        XCTAssertFalse(LiveEvents.isReserved("vote", on: .plan))
        XCTAssertFalse(LiveEvents.isReserved("plan", on: .freeForm))
    }

    func testServiceRoleJoinOfAnUnknownEventOrPlanIsNotFound() async throws {
        let service = try await harness.connect(as: nil, role: "service_role")
        for kind in ["event", "plan"] {
            let reply = try await service.connection.join(UUID().topic(kind))
            XCTAssertEqual(reply.reason, "NotFound: no such \(kind)")
        }
        try await service.assertJoins(DemoData.jazzInThePark.topic("event"))
    }

    private func assertRefused(_ client: TestConnection, _ topic: String, _ event: String,
                               payload: JSON = object("forged", "yes"), file: StaticString = #filePath,
                               line: UInt = #line) async throws {
        let reply = try await client.connection.broadcast(topic: topic, event: event, payload: payload, awaitAck: true)
        XCTAssertEqual(reply?.reason, "ReservedEvent: \(event) is sent only by the server", file: file, line: line)
    }
}
