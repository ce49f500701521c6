import NIOCore
import RallyTestSupport
import XCTest

@testable import RallyProtocol

/// A broadcast's user payload kept as the client's compact text: checked as any JSON is, and sent out byte for byte
/// as encoding the tree would have written it.
final class CompactJSONTextTests: XCTestCase {
    // MARK: What counts as compact

    func testTextThatTheWriterWouldWriteIsKept() throws {
        let samples = [
            #"{"seq":1,"t":1733480000000000000,"from":3}"#, #"[]"#, #"{}"#, #"null"#, #"true"#, #"-0.5e+10"#,
            #""plain""#, #"{"a":[1,{"b":null}],"a":false}"#, #""quote \" backslash \\ newline \n tab \t""#,
            #""\b\f\r \u0000 \u001f \u007f""#.replacingOccurrences(of: #"\u007f"#, with: "\u{7f}"),
            #""é 東京 🎉""#,
        ]
        for sample in samples {
            let text = try XCTUnwrap(CompactJSONText(buffer(sample)), sample)
            XCTAssertEqual(String(buffer: text.bytes), sample)
            // The kept text is exactly what writing its tree gives.
            XCTAssertEqual(text.value.serializedString(), sample, sample)
        }
    }

    func testTextTheWriterWouldWriteOtherwiseIsNotKept() {
        let samples = [
            #"{"a": 1}"#, #" {"a":1}"#, #"{"a":1} "#, #"[1, 2]"#, "{\n}", #""\/""#, #""\u0041""#, #""\u00e9""#,
            #""\u000A""#, #""\u000a""#, #""\u001F""#, #""\ud83c\udf89""#,
        ]
        for sample in samples {
            XCTAssertNil(CompactJSONText(buffer(sample)), sample)
            XCTAssertNotNil(try? JSON(parsing: sample), "still valid JSON: \(sample)")
        }
    }

    func testInvalidJSONIsNeverKept() {
        let samples = [
            #"{"a":1"#, #"{"a":01}"#, #"[1,]"#, #""\x""#, #""\ud800""#, "\"a\u{1}\"", #"{"a":1}x"#, "", "nul",
        ]
        for sample in samples { XCTAssertNil(CompactJSONText(buffer(sample)), sample) }
        XCTAssertNil(CompactJSONText(buffer(bytes: [0x22, 0xC3, 0x28, 0x22])), "invalid UTF-8")
        let tooDeep = String(repeating: "[", count: JSON.maxNestingDepth + 1)
            + String(repeating: "]", count: JSON.maxNestingDepth + 1)
        XCTAssertNil(CompactJSONText(buffer(tooDeep)))
    }

    // MARK: Decoding a text frame

    private func decoded(_ text: String, _ version: ProtocolVersion) throws -> PhoenixMessage {
        let frame = try InboundDecoder.decodeTextKeepingUserPayload(buffer(text), version: version).get()
        guard case .message(let message) = frame else { throw ProtocolError("not a message: \(frame)") }
        return message
    }

    func testABroadcastKeepsItsCompactUserPayloadAsText() throws {
        let v1 = try decoded(#"{"topic":"realtime:r","event":"broadcast","payload":{"type":"broadcast","event":"m","payload":{"seq":1,"n":[1,2]}},"ref":"3","join_ref":"1"}"#, .v1)
        XCTAssertEqual(v1.userPayloadText.map { String(buffer: $0.bytes) }, #"{"seq":1,"n":[1,2]}"#)
        XCTAssertEqual(v1.payload, .object(["type": .string("broadcast"), "event": .string("m"), "payload": .null]))
        XCTAssertEqual(v1.ref, .string("3"))
        let v2 = try decoded(#"["1","3","realtime:r","broadcast",{"payload":"hi","type":"broadcast","event":"m"}]"#, .v2)
        XCTAssertEqual(v2.userPayloadText.map { String(buffer: $0.bytes) }, #""hi""#)
        XCTAssertEqual(v2.payload["event"], .string("m"))
    }

    func testEverythingElseDecodesAsWithTheTreeDecoder() throws {
        let frames: [(String, ProtocolVersion)] = [
            (#"{"topic":"realtime:r","event":"broadcast","payload":{"type":"broadcast","event":"m","payload":{"a": 1}},"ref":"3"}"#, .v1),
            (#"{"topic":"realtime:r","event":"presence","payload":{"type":"presence","event":"track","payload":{"a":1}},"ref":"3"}"#, .v1),
            (#"["1","3","realtime:r","presence",{"type":"presence","event":"track","payload":{"a":1}}]"#, .v2),
            (#"{"topic":"realtime:r","event":"phx_join","payload":{"config":{"broadcast":{"self":true}}},"ref":"1"}"#, .v1),
            (#"{"payload":{"payload":{"x":1},"payload":2},"topic":"realtime:r","event":"presence","ref":null,"payload":3}"#, .v1),
            (#"{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"9"}"#, .v1),
            (#"[null,"9","phoenix","heartbeat",{},{"payload":1}]"#, .v2),
            (#"{"topic":"realtime:r","event":"broadcast","payload":{"type":"broadcast","event":"m","payload":"\u00e9"},"ref":"3"}"#, .v1),
        ]
        for (text, version) in frames {
            let kept = try decoded(text, version)
            XCTAssertNil(kept.userPayloadText, text)
            XCTAssertEqual(kept, try InboundDecoder.decodeText(buffer(text), version: version).get().message, text)
        }
    }

    func testMalformedFramesFailAsWithTheTreeDecoder() {
        let frames = [
            #"{"topic":"r","event":"broadcast","payload":{"type":"broadcast","event":"m","payload":{"a":1,}},"ref":"3"}"#,
            #"{"topic":"r","event":"broadcast","payload":{"type":"broadcast","event":"m","payload":"\ud800"},"ref":"3"}"#,
            #"{"topic":"r","event":"broadcast","payload":{"type":"broadcast","payload":1},"ref":"3"} x"#,
            #"{"topic":"r","event":"broadcast","payload":{"payload":1},"ref":{"a":1}}"#,
        ]
        for text in frames {
            let kept = InboundDecoder.decodeTextKeepingUserPayload(buffer(text), version: .v1)
            let tree = InboundDecoder.decodeText(buffer(text), version: .v1)
            XCTAssertEqual(kept.failureDescription, tree.failureDescription, text)
            XCTAssertNotNil(kept.failureDescription, text)
        }
        // The nesting bound counts from the frame: the user payload starts at depth 3.
        for (levels, fails) in [(JSON.maxNestingDepth - 2, false), (JSON.maxNestingDepth - 1, true)] {
            let nested = String(repeating: "[", count: levels) + String(repeating: "]", count: levels)
            let frame = #"{"topic":"r","event":"broadcast","payload":{"type":"broadcast","event":"m","payload":"#
                + nested + #"},"ref":"3"}"#
            let kept = InboundDecoder.decodeTextKeepingUserPayload(buffer(frame), version: .v1)
            XCTAssertEqual(kept.failureDescription != nil, fails)
            let tree = InboundDecoder.decodeText(buffer(frame), version: .v1)
            XCTAssertEqual(kept.failureDescription, tree.failureDescription)
        }
    }

    // MARK: Encoding

    func testAKeptTextEncodesAsItsTree() throws {
        let text = try XCTUnwrap(CompactJSONText(buffer(#"{"seq":7,"s":"a\"b","l":[true,null]}"#)))
        for meta in [nil, JSON.object(["id": .string("x")])] {
            for preferBinary in [false, true] {
                let kept = BroadcastEnvelope(topic: "realtime:r", event: "m", payload: .jsonText(text), meta: meta,
                                             preferBinary: preferBinary)
                var tree = kept
                tree.payload = .json(text.value)
                XCTAssertEqual(kept.encodeV1()?.byteArray, tree.encodeV1()?.byteArray)
                XCTAssertEqual(kept.encodeV2().byteArray, tree.encodeV2().byteArray)
                XCTAssertEqual(kept.encodeV2().isBinary, preferBinary)
            }
        }
        XCTAssertEqual(BroadcastPayload.jsonText(text), .json(text.value))
        XCTAssertNotEqual(BroadcastPayload.jsonText(text), .json(.null))
        XCTAssertEqual(BroadcastPayload.jsonText(text).withTree, .json(text.value))
    }

    func testAKind3JSONPayloadIsKeptWhenCompact() throws {
        func push(_ payload: String) throws -> UserBroadcastPush {
            var bytes = ByteBuffer(bytes: [3, 1, 1, 10, 1, 0, 1])
            bytes.writeString("1" + "2" + "realtime:r" + "m" + payload)
            guard case .userBroadcast(let push) = try InboundDecoder.decodeBinary(bytes, version: .v2).get() else {
                throw ProtocolError("not a user broadcast")
            }
            return push
        }
        guard case .jsonText(let text) = try push(#"{"a":[1]}"#).payload else { return XCTFail("expected text") }
        XCTAssertEqual(String(buffer: text.bytes), #"{"a":[1]}"#)
        guard case .json(let tree) = try push(#"{"a": [1]}"#).payload else { return XCTFail("expected a tree") }
        XCTAssertEqual(tree, .object(["a": .array([.number("1")])]))
        XCTAssertThrowsError(try push(#"{"a":"#))
    }
}

/// The same properties as the `Decoder` and `JSON` fuzz targets, over seeded mutations of a few frames (the same
/// inputs every run).
final class CompactJSONTextAgreementTests: XCTestCase {
    /// A v1 frame's object is not built (`V1FrameMembers`): the first of each member counts, others are only
    /// checked, and every missing or mistyped field fails as with the tree (both versions: a v2 socket refuses it).
    func testV1MembersDecodeAsTheTree() {
        let frames = [
            #"{"topic":"a","topic":"b","event":"broadcast","payload":{"type":"broadcast","event":"m","payload":{}},"ref":1,"ref":2}"#,
            #"{"x":[1,{"y":null}],"topic":"a","event":"e","payload":{"payload":[1]},"payload":{"payload":3},"ref":null}"#,
            #"{"join_ref":"1","join_ref":{"a":1},"topic":"a","event":"e","payload":null,"ref":"2","extra":"\u00e9"}"#,
            #"{"topic":"a","event":"e","payload":{}}"#,
            #"{"event":"e","payload":{},"ref":null}"#,
            #"{"topic":"a","payload":{},"ref":null}"#,
            #"{"topic":"a","event":"e","ref":null}"#,
            #"{"topic":1,"event":"e","payload":{},"ref":null}"#,
            #"{"topic":"a","event":null,"payload":{},"ref":null}"#,
            #"{"topic":"a","event":"e","payload":{},"ref":[1],"join_ref":[2]}"#,
            #"{"topic":"a","event":"e","payload":{},"ref":null,"other":{"a":[1,}}"#,
            #"{}"#,
            #" { "topic" : "a" , "event" : "e" , "payload" : { "payload" : { } } , "ref" : "1" } "#,
            #"["1","2","a","broadcast",{"payload":{"a":1}}]"#,
            #""text""#,
        ]
        for text in frames {
            for version in [ProtocolVersion.v1, .v2] {
                checkDecodersAgree(buffer(text), version, 0)
            }
        }
    }

    private let seeds = [
        #"{"topic":"realtime:r","event":"broadcast","payload":{"type":"broadcast","event":"m","payload":{"seq":1,"s":"a\"b\u0001","l":[true,null,-1.5e3]}},"ref":"3","join_ref":"1"}"#,
        #"["1","3","realtime:r","broadcast",{"type":"broadcast","event":"m","payload":{"x":"é","y":{}}}]"#,
        #"{"topic":"realtime:r","event":"presence","payload":{"type":"presence","event":"track","payload":{"a":[1]}},"ref":null}"#,
    ]
    private let alphabet = Array(#"{}[]":,\ 0123456789-.eEtrufalsnbx/"#.utf8) + [0x0A, 0x01, 0xC3, 0xA9, 0xFF]

    func testTheDecodersAgreeAndKeptTextIsExactlyWhatTheWriterWrites() {
        var random = SeededGenerator(seed: 0x5EED)
        for round in 0..<6_000 {
            var bytes = Array(seeds[round % seeds.count].utf8)
            for _ in 0...(random.next() % 3) {
                let position = Int(random.next() % UInt64(bytes.count))
                let byte = alphabet[Int(random.next() % UInt64(alphabet.count))]
                switch random.next() % 3 {
                case 0: bytes[position] = byte
                case 1: bytes.insert(byte, at: position)
                default: bytes.remove(at: position)
                }
            }
            let frame = ByteBuffer(bytes: bytes)
            for version in [ProtocolVersion.v1, .v2] { checkDecodersAgree(frame, version, round) }
            checkCompactIsWhatTheWriterWrites(frame, round)
            if let start = bytes.firstIndex(of: UInt8(ascii: "{")).map({ $0 + 1 }), start < bytes.count {
                checkCompactIsWhatTheWriterWrites(ByteBuffer(bytes: bytes[start...]), round)
            }
        }
    }

    private func checkDecodersAgree(_ frame: ByteBuffer, _ version: ProtocolVersion, _ round: Int) {
        let tree = InboundDecoder.decodeText(frame, version: version)
        let kept = InboundDecoder.decodeTextKeepingUserPayload(frame, version: version)
        switch (tree, kept) {
        case (.success(.message(let whole)), .success(.message(var message))):
            if let text = message.userPayloadText {
                XCTAssertEqual(message.event, "broadcast", "round \(round)")
                XCTAssertEqual(text.value.serializedBuffer(), text.bytes, "round \(round)")
                var channelPayload = message.payload.objectValue
                XCTAssertEqual(channelPayload?["payload"], .null, "round \(round)")
                channelPayload?["payload"] = text.value
                message.payload = channelPayload.map(JSON.object) ?? message.payload
                message.userPayloadText = nil
            }
            XCTAssertEqual(message, whole, "round \(round)")
        case (.failure(let treeError), .failure(let keptError)):
            XCTAssertEqual(keptError, treeError, "round \(round)")
        default:
            XCTFail("round \(round): \(tree) vs \(kept)")
        }
    }

    private func checkCompactIsWhatTheWriterWrites(_ bytes: ByteBuffer, _ round: Int) {
        let writesBack = (try? JSON(parsing: bytes)).map { $0.serializedBuffer() == bytes } ?? false
        XCTAssertEqual(CompactJSONText(bytes) != nil, writesBack, "round \(round): \(String(buffer: bytes))")
    }
}


private extension Result where Failure == ProtocolError {
    var failureDescription: String? {
        if case .failure(let error) = self { return error.description }
        return nil
    }
}

private extension InboundFrame {
    var message: PhoenixMessage? {
        if case .message(let message) = self { return message }
        return nil
    }
}
