import NIOCore
import RallyHubTestSupport
import RallyProtocol
import XCTest
@testable import RallyHub

/// What the hub does for live feeds: retained latest values, joins held until their inputs are live (with a
/// backlog and no duplicates), write dispositions, and one leave per join.
final class HubFeedsTests: XCTestCase {
    private static func envelope(_ event: String, _ value: Int, topic: String = "realtime:live") -> BroadcastEnvelope {
        BroadcastEnvelope(topic: topic, event: event, payload: .json(.object(["v": .int(value)])), preferBinary: false)
    }

    private static func values(_ client: TestClient, event: String) -> [JSON?] {
        client.transport.recorded.compactMap(\.json)
            .filter { $0.eventName == "broadcast" && $0.payloadValue?["event"] == .string(event) }
            .map { $0.payloadValue?["payload"]?["v"] }
    }

    func testRetainedValueReachesLaterJoinersAndAnOlderVersionNeverReplacesIt() async throws {
        let harness = try await HubHarness()
        let hub = harness.services.hub
        let early = try await harness.connect(loopIndex: 0, subject: "a")
        early.join("realtime:live")
        hub.publish(Self.envelope("capacity", 5), retain: RetainedSlot(name: "capacity", version: 5))
        XCTAssertNotNil(early.transport.waitForEvent("broadcast"))
        hub.publish(Self.envelope("capacity", 4), retain: RetainedSlot(name: "capacity", version: 4))
        let late = try await harness.connect(loopIndex: 1, subject: "b")
        late.join("realtime:live")
        XCTAssertNotNil(late.transport.waitForEvent("broadcast"))
        try await harness.settle(early, topic: "realtime:live", ref: "9")
        try await harness.settle(late, topic: "realtime:live", ref: "9")
        XCTAssertEqual(Self.values(early, event: "capacity"), [.int(5)], "the older version was dropped")
        XCTAssertEqual(Self.values(late, event: "capacity"), [.int(5)], "a joiner gets the kept value")
        try await harness.shutdown()
    }

    func testSeedFillsOnlyAnEmptySlot() async throws {
        let harness = try await HubHarness()
        let hub = harness.services.hub
        let client = try await harness.connect()
        client.join("realtime:live")
        hub.seed(Self.envelope("plan", 1), slot: RetainedSlot(name: "plan", version: 1))
        hub.seed(Self.envelope("plan", 2), slot: RetainedSlot(name: "plan", version: 2))
        XCTAssertNotNil(client.transport.waitForEvent("broadcast"))
        try await harness.settle(client, topic: "realtime:live", ref: "9")
        XCTAssertEqual(Self.values(client, event: "plan"), [.int(1)])
        try await harness.shutdown()
    }

    func testJoinIsHeldUntilInputsAreLiveThenBacklogThenLiveWithoutDuplicates() async throws {
        let feeds = ScriptedFeeds(holdJoins: true)
        let harness = try await HubHarness(feeds: feeds)
        let hub = harness.services.hub
        let client = try await harness.connect()
        client.send(topic: "realtime:live", event: "phx_join", payload: .object(["config": .emptyObject]),
                    ref: "1", joinRef: "1")
        let pending = try await waitForSubscriber(hub, topic: "realtime:live")
        XCTAssertEqual(pending, 1)
        hub.publish(Self.envelope("message", 1), dedupeKey: "m:1")
        hub.publish(Self.envelope("message", 2), dedupeKey: "m:2")
        _ = try await hub.subscriberCount(topic: "realtime:live").get()
        let backlog = JoinBacklog(pushes: [Self.envelope("message", 1)], dedupeKeys: ["m:1"])
        XCTAssertTrue(feeds.completeNextJoin(with: .ready(backlog)))
        XCTAssertEqual(client.waitForReply(ref: "1")?["status"], .string("ok"))
        try await harness.settle(client, topic: "realtime:live", ref: "9")
        let events = client.transport.recorded.compactMap(\.json).map(\.eventName)
        XCTAssertEqual(events.prefix(3), ["phx_reply", "broadcast", "broadcast"], "nothing before the reply")
        XCTAssertEqual(Self.values(client, event: "message"), [.int(1), .int(2)], "backlog, then live, no duplicate")
        hub.publish(Self.envelope("message", 1), dedupeKey: "m:1")
        hub.publish(Self.envelope("message", 3), dedupeKey: "m:3")
        try await harness.settle(client, topic: "realtime:live", ref: "10")
        XCTAssertEqual(Self.values(client, event: "message"), [.int(1), .int(2), .int(3)],
                       "a live copy of a backlog item that comes after the join is dropped too")
        try await harness.shutdown()
    }

    func testARefusedJoinRepliesWithTheReasonAndLeavesOnce() async throws {
        let feeds = ScriptedFeeds(holdJoins: true)
        let harness = try await HubHarness(feeds: feeds)
        let client = try await harness.connect()
        client.send(topic: "realtime:live", event: "phx_join", payload: .emptyObject, ref: "1", joinRef: "1")
        XCTAssertTrue(feeds.completeNextJoin(with: .refused("DatabaseUnavailable: try again")))
        XCTAssertEqual(client.waitForReply(ref: "1")?["response"]?["reason"], .string("DatabaseUnavailable: try again"))
        XCTAssertTrue(feeds.waitForLeaves(1))
        let remaining = try await harness.services.hub.subscriberCount(topic: "realtime:live").get()
        XCTAssertEqual(remaining, 0)
        try await harness.shutdown()
    }

    func testEveryJoinGetsOneLeaveOnLeaveAndOnSocketEnd() async throws {
        let feeds = ScriptedFeeds()
        let harness = try await HubHarness(feeds: feeds)
        let client = try await harness.connect()
        client.join("realtime:a")
        client.join("realtime:b", ref: "2")
        client.send(topic: "realtime:a", event: "phx_leave", payload: .emptyObject, ref: "3", joinRef: "1")
        XCTAssertNotNil(client.waitForReply(ref: "3"))
        XCTAssertTrue(feeds.waitForLeaves(1))
        try await client.connection.eventLoop.submit { client.connection.detach() }.get()
        XCTAssertTrue(feeds.waitForLeaves(2))
        XCTAssertEqual(feeds.state.withLockedValue { [$0.joins, $0.leaves] }, [2, 2])
        try await harness.shutdown()
    }

    func testWriteDispositionsRefuseLimitAndStore() async throws {
        let stored: WriteDisposition = .store(WriteLimit(name: "chat", perSecond: 0.001, burst: 1)) { loop in
            loop.makeSucceededFuture(.object(["id": .string("42")]))
        }
        let feeds = ScriptedFeeds(writes: [
            "bad": .refuse("InvalidMessage: no"),
            "typing": .publishLimited(WriteLimit(name: "typing", perSecond: 0.001, burst: 2)),
            "message": stored,
        ])
        let harness = try await HubHarness(feeds: feeds)
        let sender = try await harness.connect(loopIndex: 0, subject: "a")
        let receiver = try await harness.connect(loopIndex: 1, subject: "b")
        sender.join("realtime:room")
        receiver.join("realtime:room")
        sender.broadcast("realtime:room", event: "bad", payload: .emptyObject, ref: "2")
        XCTAssertEqual(sender.waitForReply(ref: "2")?["response"]?["reason"], .string("InvalidMessage: no"))
        for ref in 3...7 { sender.broadcast("realtime:room", event: "typing", payload: .emptyObject, ref: "\(ref)") }
        sender.broadcast("realtime:room", event: "message", payload: .emptyObject, ref: "8")
        XCTAssertEqual(sender.waitForReply(ref: "8")?["response"]?["id"], .string("42"))
        sender.broadcast("realtime:room", event: "message", payload: .emptyObject, ref: "10")
        XCTAssertEqual(sender.waitForReply(ref: "10")?["response"]?["reason"],
                       .string("RateLimited: Too many chat writes per second"))
        try await harness.settle(receiver, topic: "realtime:room", ref: "9")
        let received = receiver.transport.recorded.compactMap(\.json).filter { $0.eventName == "broadcast" }
        XCTAssertEqual(received.map { $0.payloadValue?["event"] }, [.string("typing"), .string("typing")],
                       "two typing within the burst; refused and stored writes are not fanned out by the hub")
        try await harness.shutdown()
    }

    /// A write the feed takes over: its own event and payload go out in place of the client's, from the same sender,
    /// and the sender is answered whatever `ack` says; with no event nothing goes out.
    func testARewrittenWriteFansOutTheFeedsMessageAndIsAlwaysAnswered() async throws {
        let feeds = ScriptedFeeds(writes: [
            "position": .rewrite(RewrittenWrite(event: "location", payload: .object(["lat": .number("1.0")]),
                                                response: .object(["seen": .bool(true)]))),
            "share_start": .rewrite(RewrittenWrite(event: nil, response: .object(["expires_at": .string("soon")]))),
        ])
        let harness = try await HubHarness(feeds: feeds)
        let sender = try await harness.connect(loopIndex: 0, subject: "a")
        let receiver = try await harness.connect(loopIndex: 1, subject: "b")
        sender.join("realtime:room")
        receiver.join("realtime:room")
        sender.broadcast("realtime:room", event: "share_start", payload: .object(["x": .int(1)]), ref: "2")
        XCTAssertEqual(sender.waitForReply(ref: "2")?["response"]?["expires_at"], .string("soon"))
        sender.broadcast("realtime:room", event: "position", payload: .object(["secret": .int(1)]), ref: "3")
        XCTAssertEqual(sender.waitForReply(ref: "3")?["response"]?["seen"], .bool(true))
        try await harness.settle(receiver, topic: "realtime:room", ref: "9")
        let received = receiver.transport.recorded.compactMap(\.json).filter { $0.eventName == "broadcast" }
        XCTAssertEqual(received.map { $0.payloadValue?["event"] }, [.string("location")])
        XCTAssertEqual(received.first?.payloadValue?["payload"], .object(["lat": .number("1.0")]),
                       "the feed's payload, nothing of the client's")
        try await harness.shutdown()
    }

    private func waitForSubscriber(_ hub: Hub, topic: String) async throws -> Int {
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            let count = try await hub.subscriberCount(topic: topic).get()
            if count > 0 { return count }
            await Task.yield()
        }
        return 0
    }
}
