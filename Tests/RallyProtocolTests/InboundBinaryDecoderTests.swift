import NIOCore
import XCTest

@testable import RallyProtocol

final class InboundBinaryDecoderTests: XCTestCase {
    /// A kind-3 frame laid out byte by byte as realtime-js `serializer.ts` `_encodeUserBroadcastPush` builds it.
    private func realtimeJSKind3(
        joinRef: String, ref: String, topic: String, event: String, metadata: String, encoding: UInt8, payload: [UInt8]
    ) -> ByteBuffer {
        var bytes: [UInt8] = [3]
        bytes.append(UInt8(joinRef.utf8.count))
        bytes.append(UInt8(ref.utf8.count))
        bytes.append(UInt8(topic.utf8.count))
        bytes.append(UInt8(event.utf8.count))
        bytes.append(UInt8(metadata.utf8.count))
        bytes.append(encoding)
        for field in [joinRef, ref, topic, event, metadata] { bytes.append(contentsOf: Array(field.utf8)) }
        bytes.append(contentsOf: payload)
        return buffer(bytes: bytes)
    }

    private func userBroadcast(_ frame: ByteBuffer, file: StaticString = #filePath, line: UInt = #line) -> UserBroadcastPush? {
        guard let decoded = success(InboundDecoder.decodeBinary(frame, version: .v2), file: file, line: line) else { return nil }
        guard case .userBroadcast(let push) = decoded else {
            XCTFail("expected a user broadcast, got \(decoded)", file: file, line: line)
            return nil
        }
        return push
    }

    private func errorText(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> String? {
        failure(InboundDecoder.decodeBinary(buffer(bytes: bytes), version: .v2), file: file, line: line)?.description
    }

    func testKind3JSONPayloadAsRealtimeJSSendsIt() {
        let frame = realtimeJSKind3(joinRef: "1", ref: "12", topic: "realtime:room1", event: "cursor-pos", metadata: "",
                                    encoding: 1, payload: Array(#"{"x":10,"y":20.5}"#.utf8))
        let push = userBroadcast(frame)
        XCTAssertEqual(push, UserBroadcastPush(
            joinRef: .string("1"), ref: .string("12"), topic: "realtime:room1", userEvent: "cursor-pos", metadata: nil,
            payload: .json(.object(["x": .number("10"), "y": .number("20.5")]))))
    }

    func testKind3BinaryPayloadAndMetadata() {
        let frame = realtimeJSKind3(joinRef: "3", ref: "4", topic: "realtime:bin", event: "blob", metadata: #"{"id":"u-1"}"#,
                                    encoding: 0, payload: [0x00, 0xFF, 0x10, 0x80])
        let push = userBroadcast(frame)
        XCTAssertEqual(push?.metadata, .object(["id": .string("u-1")]))
        XCTAssertEqual(push?.payload, .binary(buffer(bytes: [0x00, 0xFF, 0x10, 0x80])))
        XCTAssertEqual(push?.userEvent, "blob")
    }

    func testKind3EmptyRefsBecomeNilAndEmptyBinaryPayloadIsAllowed() {
        let frame = realtimeJSKind3(joinRef: "", ref: "", topic: "realtime:r", event: "e", metadata: "", encoding: 0, payload: [])
        let push = userBroadcast(frame)
        XCTAssertNil(push?.joinRef)
        XCTAssertNil(push?.ref)
        XCTAssertEqual(push?.payload, .binary(ByteBuffer()))
    }

    func testKind3RoundTripsThroughTheClientEncoder() throws {
        let pushes = [
            UserBroadcastPush(joinRef: .string("1"), ref: .string("2"), topic: "realtime:é", userEvent: "ev",
                              metadata: .object(["k": .bool(true)]), payload: .json(.object(["text": .string("hi\n")]))),
            UserBroadcastPush(joinRef: nil, ref: .string("9"), topic: "realtime:b", userEvent: "bin", metadata: nil,
                              payload: .binary(buffer(bytes: [1, 2, 3]))),
        ]
        for push in pushes {
            let frame = try XCTUnwrap(success(push.encode()))
            XCTAssertTrue(frame.isBinary)
            XCTAssertEqual(userBroadcast(frame.bytes), push)
        }
        let numericRef = UserBroadcastPush(joinRef: .number("5"), ref: nil, topic: "t", userEvent: "e", metadata: nil, payload: .json(.null))
        XCTAssertEqual(success(numericRef.encode())?.byteArray.prefix(9), [3, 1, 0, 1, 1, 0, 1, UInt8(ascii: "5"), UInt8(ascii: "t")])
    }

    func testClientEncoderRejectsOversizedHeaderFields() {
        let push = UserBroadcastPush(joinRef: nil, ref: nil, topic: String(repeating: "t", count: 256), userEvent: "e",
                                     metadata: nil, payload: .json(.emptyObject))
        XCTAssertEqual(failure(push.encode())?.description, "topic is 256 bytes; kind 3 allows at most 255")
    }

    func testKind0Push() {
        var bytes: [UInt8] = [0, 1, 1, 7, 9]
        bytes += Array("1".utf8) + Array("2".utf8) + Array("phoenix".utf8) + Array("heartbeat".utf8) + Array("{}".utf8)
        let decoded = success(InboundDecoder.decodeBinary(buffer(bytes: bytes), version: .v2))
        XCTAssertEqual(decoded, .message(PhoenixMessage(joinRef: .string("1"), ref: .string("2"), topic: "phoenix",
                                                        event: "heartbeat", payload: .emptyObject)))
        let empty: [UInt8] = [0, 0, 0, 1, 1, UInt8(ascii: "t"), UInt8(ascii: "e")]
        XCTAssertEqual(success(InboundDecoder.decodeBinary(buffer(bytes: empty), version: .v2)),
                       .message(PhoenixMessage(joinRef: nil, ref: nil, topic: "t", event: "e", payload: .emptyObject)))
        XCTAssertTrue(errorText(empty + [0xFF])?.hasPrefix("payload is not valid JSON") ?? false)
    }

    func testMalformedFramesGiveClearErrors() {
        XCTAssertEqual(errorText([]), "binary frame truncated: missing kind")
        XCTAssertEqual(errorText([4, 0, 0, 0, 0]), "unsupported binary frame kind 4; clients may send kind 0 or 3")
        XCTAssertEqual(errorText([9]), "unsupported binary frame kind 9; clients may send kind 0 or 3")
        XCTAssertEqual(errorText([3, 0, 0, 5]), "binary frame truncated: missing user_event length")
        XCTAssertEqual(errorText([3, 0, 0, 5, 1, 0, 1, 0x61]), "binary frame truncated: topic needs 5 bytes, 1 left")
        XCTAssertEqual(errorText([3, 0, 0, 1, 1, 0, 7, 0x61, 0x62, 0x7B, 0x7D]),
                       "unknown payload_encoding 7 (expected 0 binary or 1 JSON)")
        XCTAssertEqual(errorText([3, 0, 0, 1, 1, 0, 1, 0xFF, 0x62, 0x7B, 0x7D]), "topic is not valid UTF-8")
        XCTAssertTrue(errorText([3, 0, 0, 1, 1, 2, 1, 0x61, 0x62, 0x7B, 0x7B, 0x7B, 0x7D])?.hasPrefix("metadata is not valid JSON") ?? false)
        XCTAssertTrue(errorText([3, 0, 0, 1, 1, 0, 1, 0x61, 0x62])?.hasPrefix("user payload is not valid JSON") ?? false)
    }

    func testBinaryFramesNeedVersion2() {
        let frame = realtimeJSKind3(joinRef: "1", ref: "2", topic: "t", event: "e", metadata: "", encoding: 1, payload: Array("{}".utf8))
        XCTAssertEqual(failure(InboundDecoder.decodeBinary(frame, version: .v1))?.description,
                       "binary frames need vsn 2.0.0; this socket uses 1.0.0")
    }

    func testEveryTruncationOfAJSONKind3FrameFails() {
        let frame = realtimeJSKind3(joinRef: "1", ref: "2", topic: "realtime:room", event: "ev", metadata: #"{"a":1}"#,
                                    encoding: 1, payload: Array(#"{"k":[1,2]}"#.utf8))
        let bytes = Array(frame.readableBytesView)
        for length in 0..<bytes.count {
            failure(InboundDecoder.decodeBinary(buffer(bytes: Array(bytes[0..<length])), version: .v2))
        }
    }

    func testEveryHeaderTruncationOfABinaryKind3FrameFails() {
        let frame = realtimeJSKind3(joinRef: "1", ref: "2", topic: "realtime:room", event: "ev", metadata: "",
                                    encoding: 0, payload: [1, 2, 3])
        let headerLength = 7 + 1 + 1 + 13 + 2
        let bytes = Array(frame.readableBytesView)
        for length in 0..<headerLength {
            failure(InboundDecoder.decodeBinary(buffer(bytes: Array(bytes[0..<length])), version: .v2))
        }
        XCTAssertNotNil(success(InboundDecoder.decodeBinary(buffer(bytes: Array(bytes[0..<headerLength])), version: .v2)))
    }

    func testRandomBinaryFramesNeverCrash() {
        var random = SeededBytes(seed: 2024)
        var decodedCount = 0
        for round in 0..<2_000 {
            var bytes = random.bytes(count: Int(random.next()) % 64)
            if !bytes.isEmpty { bytes[0] = [0, 3, 3, 3][round % 4] }
            if bytes.count > 6 { for index in 1..<6 { bytes[index] %= 8 } }
            if case .success = InboundDecoder.decodeBinary(buffer(bytes: bytes), version: .v2) { decodedCount += 1 }
        }
        XCTAssertLessThan(decodedCount, 2_000, "random input must mostly be rejected")
    }
}
