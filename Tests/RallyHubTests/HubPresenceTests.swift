import NIOCore
import RallyHubTestSupport
import RallyProtocol
import XCTest
@testable import RallyHub

/// Presence through the hub: state on join, diffs to everyone (tracker included), leave on socket close.
final class HubPresenceTests: XCTestCase {
    private let presenceConfig: JSON = .object(["presence": .object(["enabled": .bool(true), "key": .string("")])])

    func testTrackSendsDiffToAllAndStateToLaterJoiners() async throws {
        let harness = try await HubHarness()
        let alice = try await harness.connect(subject: "alice")
        alice.join("realtime:p", config: .object(["presence": .object(["key": .string("alice"), "enabled": .bool(true)])]))
        XCTAssertNotNil(alice.transport.waitForEvent("presence_state"))
        alice.send(topic: "realtime:p", event: "presence",
                   payload: .object(["type": .string("presence"), "event": .string("track"),
                                     "payload": .object(["name": .string("A")])]), ref: "2", joinRef: "1")
        XCTAssertEqual(alice.waitForReply(ref: "2")?["status"], .string("ok"))
        let diff = alice.transport.waitForEvent("presence_diff")
        let metas = diff?.payloadValue?["joins"]?["alice"]?["metas"]?.arrayValue
        XCTAssertEqual(metas?.first?["name"], .string("A"))
        XCTAssertNotNil(metas?.first?["phx_ref"]?.stringValue)

        let bob = try await harness.connect(loopIndex: 1, subject: "bob")
        bob.join("realtime:p", config: presenceConfig)
        let state = bob.transport.waitForEvent("presence_state")
        XCTAssertEqual(state?.payloadValue?["alice"]?["metas"]?.arrayValue?.count, 1)
        try await harness.shutdown()
    }

    func testUpdateIsOneDiffWithPhxRefPrevAndCloseLeaves() async throws {
        let harness = try await HubHarness()
        let alice = try await harness.connect(subject: "alice")
        let bob = try await harness.connect(loopIndex: 1, subject: "bob")
        alice.join("realtime:p", config: .object(["presence": .object(["key": .string("alice")])]))
        bob.join("realtime:p", config: presenceConfig)
        for (ref, status) in [("2", "away"), ("3", "busy")] {
            alice.send(topic: "realtime:p", event: "presence",
                       payload: .object(["event": .string("track"), "payload": .object(["s": .string(status)])]),
                       ref: ref, joinRef: "1")
        }
        let update = bob.transport.waitForFrame { frame in
            frame.json?.payloadValue?["joins"]?["alice"]?["metas"]?.arrayValue?.first?["s"] == .string("busy")
        }?.json?.payloadValue
        XCTAssertNotNil(update?["joins"]?["alice"]?["metas"]?.arrayValue?.first?["phx_ref_prev"])
        XCTAssertEqual(update?["leaves"]?["alice"]?["metas"]?.arrayValue?.first?["s"], .string("away"))

        try await alice.connection.eventLoop.submit { alice.connection.detach() }.get()
        let leave = bob.transport.waitForFrame { frame in
            frame.json?.payloadValue?["leaves"]?["alice"] != nil && frame.json?.payloadValue?["joins"] == .emptyObject
        }
        XCTAssertNotNil(leave)
        try await harness.shutdown()
    }

    func testNonObjectTrackPayloadIsRefusedWithReason() async throws {
        let harness = try await HubHarness()
        let alice = try await harness.connect()
        alice.join("realtime:p", config: presenceConfig)
        alice.send(topic: "realtime:p", event: "presence",
                   payload: .object(["event": .string("track"), "payload": .string("nope")]), ref: "2", joinRef: "1")
        XCTAssertEqual(alice.waitForReply(ref: "2")?["response"]?["reason"],
                       .string("Presence track payload must be a map"))
        try await harness.shutdown()
    }
}
