import Foundation
import RallyDirectory
import RallyHubTestSupport
import RallyProtocol
import XCTest
@testable import RallyHub

/// Joins of the demo data's people (see `DemoData`) and what the hub must answer: the same table runs against the
/// in-memory directory and a real PostgreSQL.
enum DemoJoinMatrix {
    enum Expected: Equatable { case full, read, denied }

    struct Case {
        let viewer: String?
        let role: String
        let subtopic: String
        let expected: Expected
    }

    static func id(_ uuid: UUID) -> String { uuid.uuidString.lowercased() }
    static func user(_ uuid: UUID, _ subtopic: String, _ expected: Expected) -> Case {
        Case(viewer: id(uuid), role: "authenticated", subtopic: subtopic, expected: expected)
    }

    static let alice = DemoData.alice, bob = DemoData.bob, carol = DemoData.carol, dave = DemoData.dave,
               erin = DemoData.erin

    static let cases: [Case] = [
        // profile: self, accepted friend, stranger, pending, private, blocked either way
        user(alice, "profile:\(id(alice))", .full),
        user(bob, "profile:\(id(alice))", .read),
        user(dave, "profile:\(id(alice))", .denied),
        user(dave, "profile:\(id(bob))", .read),
        user(bob, "profile:\(id(carol))", .denied),
        user(dave, "profile:\(id(erin))", .denied),
        user(erin, "profile:\(id(dave))", .denied),
        // feed: and user: belong to their owner only
        user(alice, "feed:\(id(alice))", .full),
        user(alice, "user:\(id(alice))", .full),
        user(alice, "feed:\(id(bob))", .denied),
        user(alice, "user:\(id(bob))", .denied),
        // groups: member, non-member of a private group, non-member of a public one
        user(alice, "group:\(id(DemoData.rooftopCrew))", .full),
        user(dave, "group:\(id(DemoData.rooftopCrew))", .denied),
        user(dave, "group:\(id(DemoData.jazzLovers))", .read),
        // plans: organizer, participants (accepted, invited), declined, stranger
        user(alice, "plan:\(id(DemoData.fridayDinner))", .full),
        user(carol, "plan:\(id(DemoData.fridayDinner))", .full),
        user(dave, "plan:\(id(DemoData.fridayDinner))", .denied),
        user(erin, "plan:\(id(DemoData.fridayDinner))", .denied),
        // events: friends-only (friend, stranger), private with an invitation, public
        user(bob, "event:\(id(DemoData.aliceBirthday))", .read),
        user(dave, "event:\(id(DemoData.aliceBirthday))", .denied),
        user(alice, "event:\(id(DemoData.carolBookClub))", .read),
        user(bob, "event:\(id(DemoData.carolBookClub))", .denied),
        user(erin, "event:\(id(DemoData.jazzInThePark))", .read),
        Case(viewer: nil, role: "anon", subtopic: "event:\(id(DemoData.jazzInThePark))", expected: .read),
        Case(viewer: nil, role: "anon", subtopic: "event:\(id(DemoData.aliceBirthday))", expected: .denied),
        Case(viewer: nil, role: "anon", subtopic: "profile:\(id(bob))", expected: .denied),
        // unknown ids look like hidden ones; malformed names are refused even to service_role
        user(alice, "group:\(id(UUID()))", .denied),
        Case(viewer: nil, role: "service_role", subtopic: "group:\(id(DemoData.rooftopCrew))", expected: .full),
        Case(viewer: nil, role: "service_role", subtopic: "event:not-a-uuid", expected: .denied),
        user(alice, "Group:\(id(DemoData.rooftopCrew))", .denied),
        // free-form rooms (the demo page's `lobby`): signed-in users only
        user(alice, "lobby", .full),
        Case(viewer: "not-a-uuid", role: "authenticated", subtopic: "lobby", expected: .full),
        Case(viewer: nil, role: "anon", subtopic: "lobby", expected: .denied),
    ]

    /// Joins every case on its own socket and checks the reply, then (when allowed) whether presence is allowed.
    static func check(_ harness: HubHarness, file: StaticString = #filePath, line: UInt = #line) async throws {
        for (index, testCase) in cases.enumerated() {
            let client = try await harness.connect(loopIndex: index % 2, subject: testCase.viewer, role: testCase.role)
            let topic = "realtime:" + testCase.subtopic
            let reply = client.join(topic)
            let label = "\(testCase.role) \(testCase.viewer ?? "-") → \(testCase.subtopic)"
            switch testCase.expected {
            case .denied:
                XCTAssertEqual(reply, Replies.error(reason:
                    "Unauthorized: You do not have permissions to read from this Channel topic: \(testCase.subtopic)"),
                    label, file: file, line: line)
            case .full, .read:
                XCTAssertEqual(reply, Replies.joinOK(postgresChanges: []), label, file: file, line: line)
                let presence = track(client, topic: topic)
                XCTAssertEqual(presence?["status"], .string(testCase.expected == .full ? "ok" : "error"),
                               "presence: \(label)", file: file, line: line)
            }
        }
    }

    /// Tracks presence and returns the reply.
    static func track(_ client: TestClient, topic: String, ref: String = "track") -> JSON? {
        client.send(topic: topic, event: "presence",
                    payload: .object(["type": .string("presence"), "event": .string("track"),
                                      "payload": .object(["online": .bool(true)])]),
                    ref: ref, joinRef: "1")
        return client.waitForReply(ref: ref)
    }
}
