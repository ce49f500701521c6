import NIOCore
import RallyHubTestSupport
import RallyProtocol
import XCTest
@testable import RallyHub

/// Join, leave, heartbeat and routing, with the exact reply shapes of supabase/realtime.
final class HubChannelTests: XCTestCase {
    func testJoinRepliesOkWithPostgresChangesEchoedAndIds() async throws {
        let harness = try await HubHarness()
        let client = try await harness.connect()
        let change: JSON = .object(["event": .string("*"), "schema": .string("public"), "table": .string("t")])
        let reply = client.join("realtime:room", config: .object(["postgres_changes": .array([change])]))
        XCTAssertEqual(reply?["status"], .string("ok"))
        let entries = reply?["response"]?["postgres_changes"]?.arrayValue
        XCTAssertEqual(entries?.count, 1)
        XCTAssertEqual(entries?.first?["table"], .string("t"))
        XCTAssertNotNil(entries?.first?["id"]?.intValue)
        try await harness.shutdown()
    }

    func testV1PushesCarryNullRefAndNoJoinRef() async throws {
        let harness = try await HubHarness()
        let client = try await harness.connect(version: .v1)
        client.join("realtime:room")
        let reply = client.transport.recorded.compactMap(\.json).first
        XCTAssertEqual(reply?["ref"], .string("1"))
        XCTAssertNil(reply?["join_ref"], "v1 server frames never carry join_ref")
        try await harness.shutdown()
    }

    func testHeartbeatEchoesNullAndIntegerRefs() async throws {
        let harness = try await HubHarness()
        let client = try await harness.connect()
        var buffer = ByteBuffer(string: #"{"topic":"phoenix","event":"heartbeat","payload":{},"ref":7}"#)
        client.sendRaw(.text(buffer))
        let intReply = client.transport.waitForFrame { $0.json?.refValue == .number("7") }?.json
        XCTAssertEqual(intReply?.payloadValue?["status"], .string("ok"))
        buffer = ByteBuffer(string: #"{"topic":"phoenix","event":"heartbeat","payload":{},"ref":null}"#)
        client.sendRaw(.text(buffer))
        let nullReply = client.transport.waitForFrame { $0.json?.refValue == .null }?.json
        XCTAssertEqual(nullReply?.payloadValue?["response"], .emptyObject)
        try await harness.shutdown()
    }

    func testLeaveRepliesOkThenClosesWithJoinRef() async throws {
        let harness = try await HubHarness()
        let client = try await harness.connect()
        client.join("realtime:room", ref: "3")
        client.send(topic: "realtime:room", event: "phx_leave", payload: .emptyObject, ref: "4", joinRef: "3")
        XCTAssertEqual(client.waitForReply(ref: "4")?["status"], .string("ok"))
        let close = client.transport.waitForEvent("phx_close")
        XCTAssertEqual(close?.refValue, .string("3"), "phx_close carries the join_ref as ref")
        // The socket's loop finishes the leave (and asks the shard to unsubscribe) after writing phx_close: a
        // heartbeat answered afterwards means that request is queued ahead of the count.
        client.send(topic: "phoenix", event: "heartbeat", payload: .emptyObject, ref: "hb")
        XCTAssertNotNil(client.waitForReply(ref: "hb"))
        let count = try await harness.services.hub.subscriberCount(topic: "realtime:room").get()
        XCTAssertEqual(count, 0)
        try await harness.shutdown()
    }

    func testMessageToUnjoinedTopicGetsUnmatchedTopic() async throws {
        let harness = try await HubHarness()
        let client = try await harness.connect()
        client.broadcast("realtime:nowhere", event: "x", payload: .emptyObject, ref: "9")
        XCTAssertEqual(client.waitForReply(ref: "9")?["response"]?["reason"], .string("unmatched topic"))
        try await harness.shutdown()
    }

    func testTopicWithoutRealtimePrefixOrNameIsRefused() async throws {
        let harness = try await HubHarness()
        let client = try await harness.connect()
        client.send(topic: "room", event: "phx_join", payload: .emptyObject, ref: "1", joinRef: "1")
        XCTAssertEqual(client.waitForReply(ref: "1")?["response"]?["reason"], .string("unmatched topic"))
        client.send(topic: "realtime:", event: "phx_join", payload: .emptyObject, ref: "2", joinRef: "2")
        XCTAssertEqual(client.waitForReply(ref: "2")?["response"]?["reason"],
                       .string("TopicNameRequired: You must provide a topic name"))
        try await harness.shutdown()
    }

    func testDuplicateJoinClosesTheOldJoinFirst() async throws {
        let harness = try await HubHarness()
        let client = try await harness.connect()
        client.join("realtime:room", ref: "1")
        client.join("realtime:room", ref: "2")
        let close = client.transport.waitForEvent("phx_close")
        XCTAssertEqual(close?.refValue, .string("1"))
        let count = try await harness.services.hub.subscriberCount(topic: "realtime:room").get()
        XCTAssertEqual(count, 1)
        try await harness.shutdown()
    }

    func testMessageWithStaleJoinRefIsIgnored() async throws {
        let harness = try await HubHarness()
        let client = try await harness.connect()
        client.join("realtime:room", config: .object(["broadcast": .object(["ack": .bool(true)])]), ref: "1")
        client.broadcast("realtime:room", event: "e", payload: .emptyObject, ref: "5", joinRef: "old")
        try await harness.settle(client, topic: "realtime:room", ref: "6")
        XCTAssertFalse(client.transport.recorded.compactMap(\.json).contains { $0.refValue == .string("5") })
        try await harness.shutdown()
    }

    func testAnonymousTokenIsRefusedOnFreeFormRooms() async throws {
        let harness = try await HubHarness()
        let client = try await harness.connect(subject: nil, role: "anon")
        let reply = client.join("realtime:room")
        XCTAssertEqual(reply?["status"], .string("error"))
        XCTAssertEqual(reply?["response"]?["reason"]?.stringValue?.hasPrefix("Unauthorized:"), true)
        try await harness.shutdown()
    }

    func testSocketCloseUnsubscribesEverything() async throws {
        let harness = try await HubHarness()
        let client = try await harness.connect()
        client.join("realtime:a", ref: "1")
        client.join("realtime:b", ref: "2")
        try await client.connection.eventLoop.submit { client.connection.detach() }.get()
        let a = try await harness.services.hub.subscriberCount(topic: "realtime:a").get()
        let b = try await harness.services.hub.subscriberCount(topic: "realtime:b").get()
        XCTAssertEqual(a + b, 0)
        XCTAssertEqual(harness.services.connections.count, 0)
        try await harness.shutdown()
    }

    func testAClosedSocketIsFreedAlthoughItsSubscriptionsHeldIt() async throws {
        let harness = try await HubHarness()
        weak var released: ClientConnection?
        do {
            let client = try await harness.connect()
            client.join("realtime:a", ref: "1")
            client.join("realtime:b", ref: "2")
            released = client.connection
            try await client.connection.eventLoop.submit { client.connection.detach() }.get()
        }
        // The shards let go too: each topic's unsubscribe runs on its own shard's loop (the two may differ), and a
        // join still under way when the socket closed ends there as well, so wait (bounded) until every hop is done.
        let deadline = Date().addingTimeInterval(5)
        repeat {
            for topic in ["realtime:a", "realtime:b"] {
                _ = try await harness.services.hub.subscriberCount(topic: topic).get()
            }
        } while released != nil && Date() < deadline
        XCTAssertNil(released, "subscription → connection must not keep a closed socket alive")
        try await harness.shutdown()
    }
}
