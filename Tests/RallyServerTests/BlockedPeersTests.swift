import Foundation
import RallyClient
import RallyDirectory
import RallyProtocol
import XCTest

/// "Blocked (either direction) sees nothing of the other — inside a shared group or plan too": on a real node
/// with the demo directory, where Dave blocked Erin and Bob is a friend of neither. Each check ends with a marker
/// from Bob on the same topic: once it arrives, anything sent before it would have arrived too.
final class BlockedPeersTests: XCTestCase {
    var harness: NodeHarness!
    var directory: InMemoryDirectory!
    let group = DemoData.jazzLovers.topic("group")
    let plan = DemoData.fridayDinner.topic("plan")

    override func setUp() async throws {
        harness = try await NodeHarness()
        directory = try XCTUnwrap(harness.node.access.directory as? InMemoryDirectory)
        for person in [DemoData.dave, DemoData.erin] {
            await directory.apply(.addMember(group: DemoData.jazzLovers, user: person))
            await directory.apply(.setParticipant(plan: DemoData.fridayDinner, .init(user: person, status: "accepted")))
        }
    }

    override func tearDown() async throws {
        try await harness.shutdown()
    }

    func testTypingNeverCrossesABlockEitherWay() async throws {
        let (erin, dave, bob) = try await joined(group)
        try await erin.connection.broadcast(topic: group, event: "typing", payload: object("who", "erin"))
        bob.waitFor("typing", on: group, "who", "erin")
        try await dave.connection.broadcast(topic: group, event: "typing", payload: object("who", "dave"))
        bob.waitFor("typing", on: group, "who", "dave")
        try await bob.connection.broadcast(topic: group, event: "typing", payload: object("who", "bob"))
        for (client, name) in [(dave, "dave"), (erin, "erin")] {
            client.waitFor("typing", on: group, "who", "bob")
            XCTAssertEqual(client.values("typing", on: group, "who"), ["bob"], "\(name) sees nothing the other sends")
        }
    }

    func testVotesOnAPlanNeverCrossABlock() async throws {
        let (erin, dave, bob) = try await joined(plan)
        try await erin.connection.broadcast(topic: plan, event: "vote", payload: object("choice", "erin's"))
        bob.waitFor("vote", on: plan, "choice", "erin's")
        try await bob.connection.broadcast(topic: plan, event: "vote", payload: object("choice", "bob's"))
        dave.waitFor("vote", on: plan, "choice", "bob's")
        XCTAssertEqual(dave.values("vote", on: plan, "choice"), ["bob's"], "Dave never gets Erin's vote")
        erin.waitFor("vote", on: plan, "choice", "bob's")
    }

    func testPresenceNeverCrossesABlockInStateOrDiffs() async throws {
        let erin = try await present(DemoData.erin, key: "erin")
        let bob = try await present(DemoData.bob, key: "bob")
        try await track(bob, "bob")
        try await track(erin, "erin")
        bob.events.first { $0.event == "presence_diff" && $0.payload["joins"]?["erin"] != nil }

        let dave = try await present(DemoData.dave, key: "dave")
        let state = dave.events.first { $0.topic == self.group && $0.event == "presence_state" }
        XCTAssertNotNil(state?.payload["bob"], "others are shown")
        XCTAssertNil(state?.payload["erin"], "the blocked person is not in the state")
        try await track(dave, "dave")
        bob.events.first { $0.event == "presence_diff" && $0.payload["joins"]?["dave"] != nil }

        _ = try await erin.connection.leave(group)
        bob.events.first { $0.event == "presence_diff" && $0.payload["leaves"]?["erin"] != nil }
        try await track(bob, "bob, again")
        dave.events.first { $0.event == "presence_diff" && $0.payload["joins"]?["bob"] != nil }
        let daveDiffs = dave.events.all.filter { $0.event == "presence_diff" }
        let erinInDiffs = daveDiffs.contains {
            $0.payload["joins"]?["erin"] != nil || $0.payload["leaves"]?["erin"] != nil
        }
        XCTAssertFalse(erinInDiffs, "Dave never sees Erin arrive or leave")
        let erinDiffs = erin.events.all.filter { $0.event == "presence_diff" }
        XCTAssertFalse(erinDiffs.contains { $0.payload["joins"]?["dave"] != nil }, "nor Erin Dave")
    }

    func testABlockMidSessionTakesPresenceBack() async throws {
        let crew = DemoData.rooftopCrew.topic("group")
        let alice = try await present(DemoData.alice, key: "alice", on: crew)
        let bob = try await present(DemoData.bob, key: "bob", on: crew)
        try await track(alice, "alice", on: crew)
        try await track(bob, "bob", on: crew)
        alice.events.first { $0.event == "presence_diff" && $0.payload["joins"]?["bob"] != nil }
        bob.events.first { $0.event == "presence_diff" && $0.payload["joins"]?["alice"] != nil }
        await directory.apply(.setFriendship(.init(user: DemoData.alice, friend: DemoData.bob, status: .blocked,
                                                   initiatedBy: DemoData.alice)))
        XCTAssertNotNil(alice.events.first { $0.event == "presence_diff" && $0.payload["leaves"]?["bob"] != nil })
        XCTAssertNotNil(bob.events.first { $0.event == "presence_diff" && $0.payload["leaves"]?["alice"] != nil })
    }

    // MARK: Helpers

    private func joined(_ topic: String) async throws -> (TestConnection, TestConnection, TestConnection) {
        var clients: [TestConnection] = []
        for person in [DemoData.erin, DemoData.dave, DemoData.bob] {
            let client = try await harness.connect(as: person)
            try await client.assertJoins(topic)
            clients.append(client)
        }
        return (clients[0], clients[1], clients[2])
    }

    private func track(_ client: TestConnection, _ name: String, on topic: String? = nil,
                       file: StaticString = #filePath, line: UInt = #line) async throws {
        let reply = try await client.connection.track(topic: topic ?? group, payload: object("name", name))
        XCTAssertTrue(reply.isOK, "\(reply)", file: file, line: line)
    }

    private func present(_ person: UUID, key: String, on topic: String? = nil) async throws -> TestConnection {
        let client = try await harness.connect(as: person)
        try await client.assertJoins(topic ?? group, options: JoinOptions(presenceEnabled: true, presenceKey: key))
        return client
    }
}
