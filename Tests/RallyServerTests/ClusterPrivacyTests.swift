import Foundation
import RallyClient
import RallyDirectory
import RallyProtocol
import RallyServer
import RallyTestSupport
import XCTest

/// Privacy holds on every node: two real nodes on a real Redis, each with the demo directory (the same people),
/// Dave blocked Erin. What Erin sends on one node never reaches Dave on the other — broadcasts and presence —
/// while Bob, a friend of neither, gets it on both.
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

    private func waitUntilTheNodesHearEachOther() async throws {
        let deadline = Date().addingTimeInterval(10)
        for node in nodes {
            while try await node.node.services.hub.liveNodes().get().count < nodes.count - 1 {
                XCTAssertLessThan(Date(), deadline, "the nodes never heard each other")
                if Date() > deadline { return }
                try await Task.sleep(nanoseconds: 20_000_000)  // polling a condition, bounded by the deadline
            }
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
