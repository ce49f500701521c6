import NIOCore
import RallyBus
import RallyHubTestSupport
import RallyProtocol
import XCTest
@testable import RallyHub

/// Several hubs in one process on one `MemoryBus` behave as several nodes: broadcasts reach every subscriber on
/// every node exactly once and in order, presence is one view across nodes, and faults of the bus are noticed.
final class MultiNodeHubTests: XCTestCase {
    private let presence: JSON = .object(["presence": .object(["enabled": .bool(true)])])

    func testBroadcastReachesEveryNodeExactlyOnceInPublishOrder() async throws {
        let cluster = try await TestCluster(nodes: 3)
        let publisher = try await cluster.node(0).connect(subject: "p")
        publisher.join("realtime:room")
        var subscribers: [TestClient] = []
        for node in 0..<3 {
            for version in [ProtocolVersion.v1, .v2] {
                let client = try await cluster.node(node).connect(version: version, loopIndex: node % 2)
                client.join("realtime:room")
                subscribers.append(client)
            }
        }
        for index in 0..<30 { publisher.broadcast("realtime:room", event: "n", payload: .object(["i": .int(index)]), ref: "r\(index)") }
        publisher.broadcast("realtime:room", event: "end", payload: .emptyObject, ref: "end")
        for client in subscribers {
            XCTAssertNotNil(client.transport.waitForEvent("broadcast") { $0["event"] == .string("end") })
            XCTAssertEqual(client.receivedNumbers("n"), Array(0..<30))
        }
        XCTAssertEqual(publisher.receivedNumbers("n"), [], "a sender without self gets nothing, on no node")
        try await cluster.shutdown()
    }

    func testBinaryKind3SelfAndAckBehaveAcrossNodesAsOnOne() async throws {
        let cluster = try await TestCluster(nodes: 2)
        let sender = try await cluster.node(0).connect(version: .v2, subject: "s")
        sender.join("realtime:bin", config: .object(["broadcast": .object(["self": .bool(true), "ack": .bool(true)])]))
        let v1 = try await cluster.node(1).connect(version: .v1, subject: "u1")
        let v2 = try await cluster.node(1).connect(version: .v2, loopIndex: 1, subject: "u2")
        for client in [v1, v2] { client.join("realtime:bin") }
        sender.sendRaw(.binary(Kind3.frame(joinRef: "1", ref: "2", topic: "realtime:bin", event: "cursor",
                                           json: #"{"x":1}"#)))
        XCTAssertEqual(sender.waitForReply(ref: "2")?["status"], .string("ok"), "ack on the sender's node")
        let remoteBinary = v2.transport.waitForFrame { $0.isBinary }
        XCTAssertEqual(remoteBinary?.bytes.getInteger(at: remoteBinary!.bytes.readerIndex, as: UInt8.self), 4)
        XCTAssertEqual(v1.transport.waitForEvent("broadcast")?.payloadValue?["payload"]?["x"], .number("1"))
        let own = sender.transport.waitForFrame { $0.isBinary }
        XCTAssertNotNil(own, "self: the sender gets its own broadcast once, from its own node")
        try await cluster.node(0).settle(sender, topic: "realtime:bin", ref: "hb")
        XCTAssertEqual(sender.transport.recorded.filter(\.isBinary).count, 1, "and not again from the bus")
        try await cluster.shutdown()
    }

    func testDuplicatesOnTheBusAreDroppedAndALossIsToldAsAGap() async throws {
        let cluster = try await TestCluster(nodes: 2)
        let publisher = try await cluster.node(0).connect(subject: "p")
        publisher.join("realtime:room")
        let remote = try await cluster.node(1).connect()
        remote.join("realtime:room")
        cluster.bus.duplicateNext(5, on: .topic("realtime:room"))
        for index in 0..<5 { publisher.broadcast("realtime:room", event: "n", payload: .object(["i": .int(index)]), ref: "a\(index)") }
        XCTAssertNotNil(remote.transport.waitForEvent("broadcast") { $0["payload"]?["i"] == .int(4) })
        cluster.bus.dropNext(1, on: .topic("realtime:room"))
        publisher.broadcast("realtime:room", event: "n", payload: .object(["i": .int(5)]), ref: "lost")
        publisher.broadcast("realtime:room", event: "n", payload: .object(["i": .int(6)]), ref: "after")
        XCTAssertNotNil(remote.transport.waitForEvent("broadcast") { $0["payload"]?["i"] == .int(6) })
        XCTAssertEqual(remote.receivedNumbers("n"), [0, 1, 2, 3, 4, 6])
        let gap = remote.transport.waitForEvent("system")
        XCTAssertEqual(gap?.payloadValue?["message"]?.stringValue?.hasPrefix("RALLY_BUS_GAP"), true)
        try await cluster.shutdown()
    }

    func testPresenceIsOneViewAcrossNodes() async throws {
        let cluster = try await TestCluster(nodes: 3)
        let alice = try await cluster.node(0).connect(subject: "alice")
        alice.join("realtime:plan", config: .object(["presence": .object(["key": .string("alice")])]))
        alice.track("realtime:plan", ["at": .string("home")], ref: "t1")
        XCTAssertNotNil(alice.transport.waitForEvent("presence_diff"))

        let bob = try await cluster.node(1).connect(subject: "bob")
        bob.join("realtime:plan", config: presence)
        let state = bob.transport.waitForEvent("presence_state")?.payloadValue
        XCTAssertEqual(state?["alice"]?["metas"]?.arrayValue?.first?["at"], .string("home"))

        let carol = try await cluster.node(2).connect(subject: "carol")
        carol.join("realtime:plan", config: .object(["presence": .object(["key": .string("carol")])]))
        carol.track("realtime:plan", ["at": .string("work")], ref: "t2")
        for watcher in [alice, bob] {
            XCTAssertNotNil(watcher.transport.waitForEvent("presence_diff") { $0["joins"]?["carol"] != nil })
        }
        try await carol.connection.eventLoop.submit { carol.connection.detach() }.get()
        for watcher in [alice, bob] {
            XCTAssertNotNil(watcher.transport.waitForEvent("presence_diff") { $0["leaves"]?["carol"] != nil })
        }
        try await cluster.shutdown()
    }

    func testASilentNodesPresenceLeavesEverywhere() async throws {
        let cluster = try await TestCluster(nodes: 2)
        let watcher = try await cluster.node(0).connect(subject: "w")
        watcher.join("realtime:plan", config: presence)
        let doomed = try await cluster.node(1).connect(subject: "d")
        doomed.join("realtime:plan", config: .object(["presence": .object(["key": .string("doomed")])]))
        doomed.track("realtime:plan", ["x": .int(1)], ref: "t")
        XCTAssertNotNil(watcher.transport.waitForEvent("presence_diff") { $0["joins"]?["doomed"] != nil })
        cluster.bus.disconnect(cluster.node(1).services.hub.nodeID)  // as a kill -9: it stops talking at once
        XCTAssertNotNil(watcher.transport.waitForEvent("presence_diff", timeout: 5) { $0["leaves"]?["doomed"] != nil })
        try await cluster.shutdown()
    }

    func testAJoinIsRefusedWhileTheBusIsDownAndWorksWhenItIsBack() async throws {
        let cluster = try await TestCluster(nodes: 2)
        let node = cluster.node(1)
        cluster.bus.disconnect(node.services.hub.nodeID)
        let client = try await node.connect()
        let refused = client.join("realtime:new")
        XCTAssertEqual(refused?["status"], .string("error"))
        XCTAssertEqual(refused?["response"]?["reason"]?.stringValue?.hasPrefix("BusUnavailable"), true)
        cluster.bus.reconnect(node.services.hub.nodeID)
        XCTAssertEqual(client.join("realtime:new", ref: "2")?["status"], .string("ok"))
        try await cluster.shutdown()
    }

    func testABusRestartIsToldAndPresenceConverges() async throws {
        let cluster = try await TestCluster(nodes: 2)
        let alice = try await cluster.node(0).connect(subject: "alice")
        alice.join("realtime:plan", config: .object(["presence": .object(["key": .string("alice")])]))
        let bob = try await cluster.node(1).connect(subject: "bob")
        bob.join("realtime:plan", config: presence)
        cluster.bus.restart()
        XCTAssertNotNil(bob.transport.waitForEvent("system"))
        alice.track("realtime:plan", ["v": .int(2)], ref: "t")
        XCTAssertNotNil(bob.transport.waitForEvent("presence_diff") { $0["joins"]?["alice"] != nil })
        try await cluster.shutdown()
    }

    func testANodeWhoseConnectionStallsReconnectsAndTellsTheGap() async throws {
        let cluster = try await TestCluster(nodes: 2)
        let client = try await cluster.node(1).connect()
        client.join("realtime:quiet")
        cluster.bus.mute(cluster.node(1).services.hub.nodeID)  // looks connected, delivers nothing
        XCTAssertNotNil(client.transport.waitForEvent("system"))
        let sender = try await cluster.node(0).connect(subject: "s")
        sender.join("realtime:quiet")
        sender.broadcast("realtime:quiet", event: "n", payload: .object(["i": .int(1)]), ref: "b")
        XCTAssertNotNil(client.transport.waitForEvent("broadcast") { $0["event"] == .string("n") })
        try await cluster.shutdown()
    }

    func testABackendServicePublishesToEveryNode() async throws {
        let cluster = try await TestCluster(nodes: 2)
        let service = MemoryBroker(bus: cluster.bus, nodeID: 7, eventLoop: cluster.node(0).group.next())
        let clients = [try await cluster.node(0).connect(), try await cluster.node(1).connect()]
        for client in clients { client.join("realtime:news") }
        service.publish(ServiceMessage.encode(topic: "news", event: "headline", payload: .object(["t": .string("hi")])),
                        to: .ingress)
        service.publish(ByteBuffer(string: "{not json"), to: .ingress)
        for client in clients {
            let got = client.transport.waitForEvent("broadcast")
            XCTAssertEqual(got?.payloadValue?["event"], .string("headline"))
            XCTAssertEqual(got?.payloadValue?["payload"]?["t"], .string("hi"))
        }
        try await cluster.shutdown()
    }
}

/// Several hub harnesses on one memory bus, with heartbeats fast enough for tests.
struct TestCluster {
    let bus = MemoryBus()
    private let nodes: [HubHarness]

    init(nodes count: Int) async throws {
        var settings = ClusterSettings()
        settings.heartbeatInterval = .milliseconds(50)
        settings.nodeTimeout = .milliseconds(400)
        settings.stallTimeout = .milliseconds(300)
        var nodes: [HubHarness] = []
        for _ in 0..<count { nodes.append(try await HubHarness(bus: bus, cluster: settings)) }
        self.nodes = nodes
    }

    func node(_ index: Int) -> HubHarness { nodes[index] }

    func shutdown() async throws {
        for node in nodes {
            try await node.services.hub.stopBus().get()
            try await node.shutdown()
        }
    }
}

extension TestClient {
    func track(_ topic: String, _ meta: JSONObject, ref: String) {
        send(topic: topic, event: "presence",
             payload: .object(["type": .string("presence"), "event": .string("track"), "payload": .object(meta)]),
             ref: ref, joinRef: "1")
    }

    /// The `i` of every broadcast named `event` received so far, in order.
    func receivedNumbers(_ event: String) -> [Int] {
        transport.recorded.compactMap { frame -> Int? in
            let payload = frame.json.flatMap { $0.eventName == "broadcast" ? $0.payloadValue : nil }
            guard payload?["event"] == .string(event) else { return nil }
            return payload?["payload"]?["i"]?.intValue
        }
    }
}

extension RecordingTransport {
    /// The first frame named `event` whose payload matches.
    func waitForEvent(_ event: String, timeout: TimeInterval = 5, file: StaticString = #filePath, line: UInt = #line,
                      where match: @escaping (JSON) -> Bool) -> JSON? {
        waitForFrame(timeout: timeout, file: file, line: line) { frame in
            guard let json = frame.json, json.eventName == event, let payload = json.payloadValue else { return false }
            return match(payload)
        }?.json
    }
}
