import NIOCore
import XCTest

@testable import RallyProtocol

final class BroadcastEnvelopeTests: XCTestCase {
    private let cursor = JSON.object(["x": .number("1"), "y": .number("2")])

    func testV1TextShape() {
        let envelope = BroadcastEnvelope(topic: "realtime:room1", event: "cursor", payload: .json(cursor), preferBinary: false)
        XCTAssertEqual(envelope.encodeV1()?.text,
                       #"{"topic":"realtime:room1","event":"broadcast","payload":{"type":"broadcast","event":"cursor","#
                       + #""payload":{"x":1,"y":2}},"ref":null}"#)
        XCTAssertEqual(envelope.encodeV1()?.isBinary, false)
    }

    func testV1TextShapeWithMeta() {
        let envelope = BroadcastEnvelope(topic: "realtime:r", event: "e", payload: .json(.emptyObject),
                                         meta: .object(["id": .string("abc"), "replayed": .bool(true)]), preferBinary: true)
        XCTAssertEqual(envelope.encodeV1()?.text,
                       #"{"topic":"realtime:r","event":"broadcast","payload":{"type":"broadcast","event":"e","payload":{},"#
                       + #""meta":{"id":"abc","replayed":true}},"ref":null}"#)
    }

    func testV1SkipsBinaryPayloads() {
        let envelope = BroadcastEnvelope(topic: "realtime:r", event: "e", payload: .binary(buffer(bytes: [1])), preferBinary: true)
        XCTAssertNil(envelope.encodeV1())
    }

    func testV2TextShapeForTextOriginatedBroadcasts() {
        let envelope = BroadcastEnvelope(topic: "realtime:room1", event: "cursor", payload: .json(cursor), preferBinary: false)
        let frame = envelope.encodeV2()
        XCTAssertFalse(frame.isBinary)
        XCTAssertEqual(frame.text,
                       #"[null,null,"realtime:room1","broadcast",{"type":"broadcast","event":"cursor","payload":{"x":1,"y":2}}]"#)
        let withMeta = BroadcastEnvelope(topic: "t", event: "e", payload: .json(.emptyObject), meta: .object(["id": .string("1")]),
                                         preferBinary: false)
        XCTAssertEqual(withMeta.encodeV2().text,
                       #"[null,null,"t","broadcast",{"type":"broadcast","event":"e","payload":{},"meta":{"id":"1"}}]"#)
    }

    func testKind4BytesForAJSONPayloadWithMetadata() {
        let envelope = BroadcastEnvelope(topic: "realtime:db", event: "INSERT", payload: .json(.object(["a": .number("1")])),
                                         meta: .object(["id": .string("u1")]), preferBinary: true)
        let frame = envelope.encodeV2()
        XCTAssertTrue(frame.isBinary)
        var expected: [UInt8] = [4, 11, 6, 11, 1]
        expected += Array("realtime:db".utf8) + Array("INSERT".utf8) + Array(#"{"id":"u1"}"#.utf8) + Array(#"{"a":1}"#.utf8)
        XCTAssertEqual(frame.byteArray, expected)
    }

    func testKind4BytesForABinaryPayloadWithoutMetadata() {
        let envelope = BroadcastEnvelope(topic: "realtime:b", event: "blob", payload: .binary(buffer(bytes: [0, 255, 7])),
                                         preferBinary: false)
        let frame = envelope.encodeV2()
        XCTAssertTrue(frame.isBinary, "binary payloads always go out as kind 4")
        XCTAssertEqual(frame.byteArray, [4, 10, 4, 0, 0] + Array("realtime:b".utf8) + Array("blob".utf8) + [0, 255, 7])
    }

    func testKind4DecodesAsRealtimeJSWould() throws {
        let envelope = BroadcastEnvelope(topic: "realtime:é", event: "ev", payload: .json(cursor),
                                         meta: .object(["id": .string("x")]), preferBinary: true)
        let decoded = try XCTUnwrap(success(BroadcastEnvelope.decodeUserBroadcast(envelope.encodeV2().bytes)))
        XCTAssertEqual(decoded, envelope)
        let binary = BroadcastEnvelope(topic: "t", event: "e", payload: .binary(buffer(bytes: [9, 8])), preferBinary: true)
        XCTAssertEqual(success(BroadcastEnvelope.decodeUserBroadcast(binary.encodeV2().bytes)), binary)
        XCTAssertEqual(failure(BroadcastEnvelope.decodeUserBroadcast(buffer(bytes: [3])))?.description,
                       "expected binary frame kind 4, got 3")
    }

    func testOversizedHeaderFieldsFallBackToText() {
        let longTopic = "realtime:" + String(repeating: "r", count: 250)
        let json = BroadcastEnvelope(topic: longTopic, event: "e", payload: .json(.emptyObject), preferBinary: true)
        XCTAssertFalse(json.fitsUserBroadcastFrame)
        XCTAssertFalse(json.encodeV2().isBinary)
        XCTAssertEqual(json.encodeV2().text, #"[null,null,"\#(longTopic)","broadcast",{"type":"broadcast","event":"e","payload":{}}]"#)

        let bigMeta = JSON.object(["id": .string(String(repeating: "m", count: 250))])
        let metaTooLong = BroadcastEnvelope(topic: "t", event: "e", payload: .json(.emptyObject), meta: bigMeta, preferBinary: true)
        XCTAssertFalse(metaTooLong.fitsUserBroadcastFrame)
        XCTAssertFalse(metaTooLong.encodeV2().isBinary)

        let binary = BroadcastEnvelope(topic: "t", event: String(repeating: "e", count: 256),
                                       payload: .binary(buffer(bytes: [0xFB, 0xFF])), preferBinary: true)
        let frame = binary.encodeV2()
        XCTAssertFalse(frame.isBinary)
        XCTAssertTrue(frame.text.hasSuffix(#""payload":"+/8="}]"#), "binary payload travels as base64: \(frame.text)")
    }

    func testBoundaryLengthsStillFitKind4() {
        let envelope = BroadcastEnvelope(topic: String(repeating: "t", count: 255), event: String(repeating: "é", count: 127),
                                         payload: .json(.null), preferBinary: true)
        XCTAssertTrue(envelope.fitsUserBroadcastFrame)
        let frame = envelope.encodeV2()
        XCTAssertTrue(frame.isBinary)
        XCTAssertEqual(frame.byteArray.prefix(5), [4, 255, 254, 0, 1])
    }

    func testNullMetaCountsAsAbsent() {
        let envelope = BroadcastEnvelope(topic: "t", event: "e", payload: .json(.emptyObject), meta: .null, preferBinary: true)
        XCTAssertEqual(envelope.encodeV2().byteArray, [4, 1, 1, 0, 1, UInt8(ascii: "t"), UInt8(ascii: "e")] + Array("{}".utf8))
        XCTAssertFalse(envelope.encodeV1()?.text.contains("meta") ?? true)
    }
}
