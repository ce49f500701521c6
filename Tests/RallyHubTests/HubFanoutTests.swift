import NIOCore
import RallyHubTestSupport
import RallyProtocol
import XCTest
@testable import RallyHub

/// Broadcast fanout across event loops, `self`, `ack`, and v1/v2 subscribers of one topic.
final class HubFanoutTests: XCTestCase {
    func testBroadcastReachesOthersButNotSenderWithoutSelf() async throws {
        let harness = try await HubHarness()
        let sender = try await harness.connect(loopIndex: 0)
        let receiver = try await harness.connect(loopIndex: 1, subject: "user-2")
        sender.join("realtime:room")
        receiver.join("realtime:room")
        sender.broadcast("realtime:room", event: "msg", payload: .object(["n": .int(1)]), ref: "2")
        let got = receiver.transport.waitForEvent("broadcast")
        XCTAssertEqual(got?.payloadValue?["event"], .string("msg"))
        XCTAssertEqual(got?.payloadValue?["payload"]?["n"], .int(1))
        XCTAssertEqual(got?["ref"], .null, "v1 fanout carries \"ref\": null")
        try await harness.settle(sender, topic: "realtime:room", ref: "3")
        XCTAssertEqual(sender.transport.count(of: "broadcast"), 0)
        try await harness.shutdown()
    }

    func testSelfTrueEchoesToSenderAndAckReplies() async throws {
        let harness = try await HubHarness()
        let sender = try await harness.connect()
        sender.join("realtime:room", config: .object(["broadcast": .object(["self": .bool(true), "ack": .bool(true)])]))
        sender.broadcast("realtime:room", event: "msg", payload: .emptyObject, ref: "2")
        XCTAssertEqual(sender.waitForReply(ref: "2")?["status"], .string("ok"))
        XCTAssertNotNil(sender.transport.waitForEvent("broadcast"))
        try await harness.shutdown()
    }

    func testV1AndV2SubscribersEachGetTheirOwnFormat() async throws {
        let harness = try await HubHarness()
        let sender = try await harness.connect(version: .v2, loopIndex: 0)
        let v1 = try await harness.connect(version: .v1, loopIndex: 1, subject: "u1")
        let v2 = try await harness.connect(version: .v2, loopIndex: 1, subject: "u2")
        for client in [sender, v1, v2] { client.join("realtime:mixed") }
        sender.broadcast("realtime:mixed", event: "hello", payload: .object(["a": .bool(true)]), ref: "2")
        let asObject = v1.transport.waitForEvent("broadcast")
        XCTAssertEqual(asObject?["topic"], .string("realtime:mixed"))
        let asArray = v2.transport.waitForEvent("broadcast")
        XCTAssertEqual(asArray?.arrayValue?.first, .null, "v2 fastlane push: join_ref null")
        XCTAssertEqual(asArray?.payloadValue?["payload"]?["a"], .bool(true))
        try await harness.shutdown()
    }

    func testBinaryKind3PushFansOutAsKind4ToV2AndJSONToV1() async throws {
        let harness = try await HubHarness()
        let sender = try await harness.connect(version: .v2)
        let v1 = try await harness.connect(version: .v1, loopIndex: 1, subject: "u1")
        let v2 = try await harness.connect(version: .v2, loopIndex: 1, subject: "u2")
        for client in [sender, v1, v2] { client.join("realtime:bin") }
        sender.sendRaw(.binary(Kind3.frame(joinRef: "1", ref: "2", topic: "realtime:bin", event: "cursor",
                                           json: #"{"x":1}"#)))
        let binary = v2.transport.waitForFrame { $0.isBinary }
        XCTAssertEqual(binary?.bytes.getInteger(at: binary!.bytes.readerIndex, as: UInt8.self), 4)
        let text = v1.transport.waitForEvent("broadcast")
        XCTAssertEqual(text?.payloadValue?["event"], .string("cursor"))
        XCTAssertEqual(text?.payloadValue?["payload"]?["x"], .number("1"))
        try await harness.shutdown()
    }

    func testManySubscribersOnBothLoopsEachGetEveryMessageOnceInOrder() async throws {
        let harness = try await HubHarness()
        var clients: [TestClient] = []
        for index in 0..<20 {
            let client = try await harness.connect(loopIndex: index % 2, subject: "u\(index)")
            client.join("realtime:fan")
            clients.append(client)
        }
        let publisher = try await harness.connect(loopIndex: 1, subject: "pub")
        publisher.join("realtime:fan")
        for seq in 1...50 {
            publisher.broadcast("realtime:fan", event: "n", payload: .object(["seq": .int(seq)]), ref: "p\(seq)")
        }
        for client in clients {
            client.transport.waitForFrame { $0.json?.payloadValue?["payload"]?["seq"] == .int(50) }
            let seqs = client.transport.recorded.compactMap { $0.json?.payloadValue?["payload"]?["seq"]?.intValue }
            XCTAssertEqual(seqs, Array(1...50))
        }
        try await harness.shutdown()
    }
}

/// Builds a binary kind-3 frame exactly as realtime-js `serializer.ts` does (JSON payload, no metadata).
enum Kind3 {
    static func frame(joinRef: String, ref: String, topic: String, event: String, json: String) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt8(3))
        for field in [joinRef, ref, topic, event] { buffer.writeInteger(UInt8(field.utf8.count)) }
        buffer.writeInteger(UInt8(0))      // metadata length
        buffer.writeInteger(UInt8(1))      // payload encoding: JSON
        for field in [joinRef, ref, topic, event] { buffer.writeString(field) }
        buffer.writeString(json)
        return buffer
    }
}
