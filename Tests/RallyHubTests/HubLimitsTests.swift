import Foundation
import NIOCore
import RallyHubTestSupport
import RallyProtocol
import RallyWebSocket
import XCTest
@testable import RallyHub

/// Each per-socket limit answers with its documented error, and the socket stays usable.
final class HubLimitsTests: XCTestCase {
    func testChannelLimitRefusesTheNextJoin() async throws {
        var limits = HubHarness.fastLimits()
        limits.maxChannelsPerSocket = 2
        let harness = try await HubHarness(limits: limits)
        let client = try await harness.connect()
        client.join("realtime:a", ref: "1")
        client.join("realtime:b", ref: "2")
        let refused = client.join("realtime:c", ref: "3")
        XCTAssertEqual(refused?["response"]?["reason"], .string("ChannelRateLimitReached: Too many channels"))
        try await harness.shutdown()
    }

    func testJoinRateLimit() async throws {
        var limits = HubHarness.fastLimits()
        limits.joinsPerSecond = 2
        let harness = try await HubHarness(limits: limits)
        let client = try await harness.connect()
        client.join("realtime:a", ref: "1")
        client.join("realtime:b", ref: "2")
        let refused = client.join("realtime:c", ref: "3")
        XCTAssertEqual(refused?["response"]?["reason"],
                       .string("ClientJoinRateLimitReached: Too many joins per second"))
        try await harness.shutdown()
    }

    func testMessageRateLimitRepliesWithErrorAndKeepsTheSocket() async throws {
        var limits = HubHarness.fastLimits()
        limits.messagesPerSecond = 1
        limits.messageBurst = 3
        let harness = try await HubHarness(limits: limits)
        let client = try await harness.connect()
        client.join("realtime:a", config: .object(["broadcast": .object(["ack": .bool(true)])]))
        for index in 0..<4 { client.broadcast("realtime:a", event: "e", payload: .emptyObject, ref: "m\(index)") }
        XCTAssertEqual(client.waitForReply(ref: "m3")?["response"]?["reason"],
                       .string("RateLimited: Too many messages per second"))
        XCTAssertEqual(client.waitForReply(ref: "m0")?["status"], .string("ok"))
        try await harness.settle(client, topic: "realtime:a", ref: "hb")
        XCTAssertNil(client.transport.closeCode)
        try await harness.shutdown()
    }

    func testOversizedBroadcastIsRefusedWithReason() async throws {
        var limits = HubHarness.fastLimits()
        limits.maxBroadcastPayloadBytes = 200
        let harness = try await HubHarness(limits: limits)
        let client = try await harness.connect()
        client.join("realtime:a", config: .object(["broadcast": .object(["ack": .bool(true)])]))
        client.broadcast("realtime:a", event: "e", payload: .object(["blob": .string(String(repeating: "x", count: 500))]),
                         ref: "2")
        XCTAssertEqual(client.waitForReply(ref: "2")?["response"]?["reason"],
                       .string("PayloadTooLarge: payload_size_exceeded"))
        try await harness.shutdown()
    }

    func testPresenceFloodClosesTheChannelWithSystemError() async throws {
        var limits = HubHarness.fastLimits()
        limits.presenceCallsPerWindow = 2
        limits.presenceWindow = .seconds(60)
        let harness = try await HubHarness(limits: limits)
        let client = try await harness.connect()
        client.join("realtime:p")
        for index in 0..<3 {
            client.send(topic: "realtime:p", event: "presence",
                        payload: .object(["event": .string("track"), "payload": .object(["i": .int(index)])]),
                        ref: "t\(index)", joinRef: "1")
        }
        let system = client.transport.waitForEvent("system")
        XCTAssertEqual(system?.payloadValue?["message"], .string("Client presence rate limit exceeded"))
        XCTAssertEqual(system?.payloadValue?["channel"], .string("p"))
        XCTAssertNotNil(client.transport.waitForEvent("phx_close"))
        try await harness.shutdown()
    }

    func testMalformedFramesAreDroppedAndTheSocketStaysHealthy() async throws {
        let harness = try await HubHarness()
        let client = try await harness.connect()
        for garbage in ["{", "[]", "null", #"{"topic":1}"#, "\u{0}"] { client.sendRaw(.text(ByteBuffer(string: garbage))) }
        client.sendRaw(.binary(ByteBuffer(bytes: [3, 200, 1])))
        XCTAssertEqual(client.join("realtime:ok")?["status"], .string("ok"))
        try await harness.shutdown()
    }

    func testDrainRefusesJoinsAndClosesSocketsWith1012() async throws {
        let harness = try await HubHarness()
        let client = try await harness.connect()
        try await harness.services.drain().get()
        XCTAssertEqual(client.transport.closeCode, RallyCloseCode.serviceRestart)
        let late = try await harness.connect(loopIndex: 1)
        XCTAssertEqual(late.join("realtime:x")?["response"]?["reason"],
                       .string("RealtimeRestarting: Realtime is restarting, please standby"))
        try await harness.shutdown()
    }
}
