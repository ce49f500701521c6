import Foundation
import RallyClient
import RallyDirectory
import RallyProtocol
import RallyServer
import RallyTestSupport
import XCTest

/// Privacy holds on every node: two real nodes on a real Redis, each with the demo directory (the same people),
/// Dave blocked Erin. What Erin sends on one node never reaches Dave on the other — broadcasts and presence —
/// while Bob, a friend of neither, gets it on both; the same for shared locations on a plan of all three.
final class ClusterPrivacyTests: XCTestCase {
    var nodes: [NodeHarness] = []
    let group = DemoData.jazzLovers.topic("group")

    override func setUp() async throws {
        _ = try TestRedis.url()  // skips, or fails saying how to start Redis, when it is not there
        let redisURL = try XCTUnwrap(ProcessInfo.processInfo.environment[TestRedis.urlVariable])
        for _ in 0..<2 {
            let node = try await NodeHarness { configuration in
                configuration.bus.redisURL = redisURL
                configuration.bus.nodeID = .random(in: 1...UInt64.max)
            }
            let directory = try XCTUnwrap(node.node.access.directory as? InMemoryDirectory)
            for person in [DemoData.dave, DemoData.erin] {
                await directory.apply(.addMember(group: DemoData.jazzLovers, user: person))
                await directory.apply(.setParticipant(plan: DemoData.fridayDinner,
                                                      .init(user: person, status: "accepted")))
            }
            nodes.append(node)
        }
        try await waitUntilTheNodesHearEachOther()
    }

    override func tearDown() async throws {
        for node in nodes { try await node.shutdown() }
    }

    func testABlockHoldsAcrossNodesForBroadcastsAndPresence() async throws {
        let erin = try await present(DemoData.erin, key: "erin", on: nodes[0])
        let dave = try await present(DemoData.dave, key: "dave", on: nodes[1])
        let bob = try await present(DemoData.bob, key: "bob", on: nodes[1])
        try await track(erin, "erin")
        try await track(bob, "bob")
        bob.events.first { $0.event == "presence_diff" && $0.payload["joins"]?["erin"] != nil }
        erin.events.first { $0.event == "presence_diff" && $0.payload["joins"]?["bob"] != nil }

        try await erin.connection.broadcast(topic: group, event: "typing", payload: object("who", "erin"))
        bob.waitFor("typing", on: group, "who", "erin")
        let bobOnErinsNode = try await present(DemoData.bob, key: "bob2", on: nodes[0])
        try await dave.connection.broadcast(topic: group, event: "typing", payload: object("who", "dave"))
        bob.waitFor("typing", on: group, "who", "dave")
        bobOnErinsNode.waitFor("typing", on: group, "who", "dave")
        try await bob.connection.broadcast(topic: group, event: "typing", payload: object("who", "bob"))
        for client in [dave, erin] { client.waitFor("typing", on: group, "who", "bob") }
        XCTAssertEqual(dave.values("typing", on: group, "who"), ["bob"], "Dave never gets Erin's, from another node")
        XCTAssertEqual(erin.values("typing", on: group, "who"), ["bob"], "nor Erin Dave's")

        let late = try await present(DemoData.dave, key: "dave-late", on: nodes[1])
        let state = late.events.first { $0.topic == self.group && $0.event == "presence_state" }
        XCTAssertNotNil(state?.payload["bob"], "the others are shown")
        XCTAssertNil(state?.payload["erin"], "Erin, tracked on the other node, is not in Dave's state")
        let daveSawErin = dave.events.all.contains { $0.event == "presence_diff" && $0.payload["joins"]?["erin"] != nil }
        XCTAssertFalse(daveSawErin, "nor in Dave's diffs")
    }

    func testSharedLocationsCrossNodesButNeverABlock() async throws {
        let plan = DemoData.fridayDinner.topic("location:plan")
        let erin = try await nodes[0].connect(as: DemoData.erin)
        let dave = try await nodes[1].connect(as: DemoData.dave)
        let bob = try await nodes[1].connect(as: DemoData.bob)
        for client in [erin, dave, bob] { try await client.assertJoins(plan) }
        for (client, lat) in [(erin, "1.0000"), (dave, "2.0000")] {
            try await request(client, "share_start", .object(["duration_s": .int(60)]), on: plan)
            try await request(client, "position", .object(["lat": .number(lat), "lon": .number("0")]), on: plan)
            bob.events.first { $0.topic == plan && TestConnection.field($0.broadcastPayload, "lat") == .number(lat) }
        }
        try await request(erin, "share_stop", .emptyObject, on: plan)
        bob.waitFor("location_stopped", on: plan, "user_id", DemoData.erin.uuidString.lowercased())
        try await request(bob, "share_start", .emptyObject, on: plan)
        try await request(bob, "position", .object(["lat": .number("3"), "lon": .number("0")]), on: plan)
        for client in [erin, dave] {
            client.events.first {
                $0.topic == plan && TestConnection.field($0.broadcastPayload, "lat") == .number("3.0000")
            }
        }
        XCTAssertEqual(dave.values("location", on: plan, "user_id"), [DemoData.bob.uuidString.lowercased()],
                       "Dave gets neither Erin's positions nor her stop, from another node")
        XCTAssertEqual(dave.received("location_stopped", on: plan).count, 0)
        XCTAssertEqual(erin.values("location", on: plan, "user_id"), [DemoData.bob.uuidString.lowercased()])
    }

    /// Bob's first group channel on a node: his blocks are read by that very join, after the topic's presence
    /// was fetched from the other node; the presence tracked there is in his `presence_state` all the same.
    func testAFirstChannelOnANodeSeesThePresenceTrackedOnAnother() async throws {
        let erin = try await present(DemoData.erin, key: "erin", on: nodes[0])
        try await track(erin, "erin")
        let bob = try await present(DemoData.bob, key: "bob", on: nodes[1])
        let state = bob.events.first { $0.topic == self.group && $0.event == "presence_state" }
        XCTAssertNotNil(state?.payload["erin"], "\(String(describing: state?.payload))")
    }

    // MARK: Helpers

    private func request(_ client: TestConnection, _ event: String, _ payload: JSON, on topic: String) async throws {
        let reply = try await client.connection.request(topic: topic, event: "broadcast", payload: .object([
            "type": .string("broadcast"), "event": .string(event), "payload": payload]))
        XCTAssertTrue(reply.isOK, "\(event): \(reply)")
    }

    private func waitUntilTheNodesHearEachOther() async throws {
        for node in nodes {
            let heard = try await Polling.until {
                try await node.node.services.hub.liveNodes().get().count >= nodes.count - 1
            }
            XCTAssertTrue(heard, "the nodes never heard each other")
        }
    }

    private func present(_ person: UUID, key: String, on node: NodeHarness) async throws -> TestConnection {
        let client = try await node.connect(as: person)
        try await client.assertJoins(group, options: JoinOptions(presenceEnabled: true, presenceKey: key))
        return client
    }

    private func track(_ client: TestConnection, _ name: String) async throws {
        let reply = try await client.connection.track(topic: group, payload: object("name", name))
        XCTAssertTrue(reply.isOK, "\(reply)")
    }
}
