import NIOCore
import XCTest

@testable import RallyProtocol

final class InboundTextDecoderTests: XCTestCase {
    private func message(_ text: String, _ version: ProtocolVersion, file: StaticString = #filePath, line: UInt = #line) -> PhoenixMessage? {
        guard let frame = success(InboundDecoder.decodeText(buffer(text), version: version), file: file, line: line) else { return nil }
        guard case .message(let message) = frame else {
            XCTFail("expected a message, got \(frame)", file: file, line: line)
            return nil
        }
        return message
    }

    private func errorText(_ text: String, _ version: ProtocolVersion, file: StaticString = #filePath, line: UInt = #line) -> String? {
        failure(InboundDecoder.decodeText(buffer(text), version: version), file: file, line: line)?.description
    }

    // MARK: v1

    func testV1Join() {
        let join = message(#"{"topic":"realtime:room1","event":"phx_join","payload":{"config":{}},"ref":"1","join_ref":"1"}"#, .v1)
        XCTAssertEqual(join, PhoenixMessage(joinRef: .string("1"), ref: .string("1"), topic: "realtime:room1",
                                            event: "phx_join", payload: .object(["config": .emptyObject])))
    }

    func testV1HeartbeatWithNullRefFromRealtimePy() {
        let heartbeat = message(#"{"topic":"phoenix","event":"heartbeat","payload":{},"ref":null}"#, .v1)
        XCTAssertNil(heartbeat?.ref)
        XCTAssertNil(heartbeat?.joinRef)
        XCTAssertEqual(heartbeat?.payload, .emptyObject)
    }

    func testV1IntegerRefFromK6IsKeptAsSent() {
        XCTAssertEqual(message(#"{"topic":"phoenix","event":"heartbeat","payload":{},"ref":0}"#, .v1)?.ref, .number("0"))
        XCTAssertEqual(message(#"{"topic":"t","event":"e","payload":{},"ref":1.50,"join_ref":7}"#, .v1)?.ref, .number("1.50"))
        XCTAssertEqual(message(#"{"topic":"t","event":"e","payload":{},"ref":1,"join_ref":7}"#, .v1)?.joinRef, .number("7"))
        XCTAssertEqual(message(#"{"topic":"t","event":"e","payload":{},"ref":1,"join_ref":null}"#, .v1)?.joinRef, nil)
    }

    func testV1RequiredKeys() {
        XCTAssertEqual(errorText(#"{"topic":"t","event":"e","payload":{}}"#, .v1), #"missing required key "ref""#)
        XCTAssertEqual(errorText(#"{"event":"e","payload":{},"ref":"1"}"#, .v1), #"missing required key "topic""#)
        XCTAssertEqual(errorText(#"{"topic":"t","payload":{},"ref":"1"}"#, .v1), #"missing required key "event""#)
        XCTAssertEqual(errorText(#"{"topic":"t","event":"e","ref":"1"}"#, .v1), #"missing required key "payload""#)
    }

    func testV1FieldTypes() {
        XCTAssertEqual(errorText(#"{"topic":1,"event":"e","payload":{},"ref":"1"}"#, .v1), #""topic" must be a string"#)
        XCTAssertEqual(errorText(#"{"topic":"t","event":null,"payload":{},"ref":"1"}"#, .v1), #""event" must be a string"#)
        XCTAssertEqual(errorText(#"{"topic":"t","event":"e","payload":{},"ref":{"a":1}}"#, .v1),
                       #""ref" must be a string, number or null"#)
        XCTAssertEqual(errorText(#"{"topic":"t","event":"e","payload":{},"ref":"1","join_ref":[1]}"#, .v1),
                       #""join_ref" must be a string, number or null"#)
    }

    func testV1RejectsArraysAndInvalidJSON() {
        XCTAssertEqual(errorText(#"[null,"1","t","e",{}]"#, .v1), "expected a JSON object {topic, event, payload, ref} for vsn 1.0.0")
        XCTAssertTrue(errorText(#"{"topic":"t",}"#, .v1)?.hasPrefix("invalid JSON text frame:") ?? false)
        XCTAssertTrue(errorText("", .v1)?.hasPrefix("invalid JSON text frame:") ?? false)
    }

    // MARK: v2

    func testV2Array() {
        let join = message(#"["1","1","realtime:room1","phx_join",{"config":{}}]"#, .v2)
        XCTAssertEqual(join, PhoenixMessage(joinRef: .string("1"), ref: .string("1"), topic: "realtime:room1",
                                            event: "phx_join", payload: .object(["config": .emptyObject])))
    }

    func testV2NullRefsAndExtraElements() {
        let heartbeat = message(#"[null,"5","phoenix","heartbeat",{},"extra",{"more":1}]"#, .v2)
        XCTAssertNil(heartbeat?.joinRef)
        XCTAssertEqual(heartbeat?.ref, .string("5"))
        XCTAssertEqual(heartbeat?.event, "heartbeat")
        XCTAssertEqual(message(#"[null,null,"phoenix","heartbeat",{}]"#, .v2)?.ref, nil)
        XCTAssertEqual(message(#"[3,0,"phoenix","heartbeat",{}]"#, .v2)?.ref, .number("0"))
    }

    func testV2Errors() {
        XCTAssertEqual(errorText(#"{"topic":"t","event":"e","payload":{},"ref":"1"}"#, .v2),
                       "expected a JSON array [join_ref, ref, topic, event, payload] for vsn 2.0.0")
        XCTAssertEqual(errorText(#"[null,"1","t","e"]"#, .v2), "expected 5 elements [join_ref, ref, topic, event, payload], got 4")
        XCTAssertEqual(errorText(#"[null,"1",5,"e",{}]"#, .v2), #""topic" must be a string"#)
        XCTAssertEqual(errorText(#"[null,"1","t",true,{}]"#, .v2), #""event" must be a string"#)
        XCTAssertEqual(errorText(#"[null,["1"],"t","e",{}]"#, .v2), #""ref" must be a string, number or null"#)
        XCTAssertNotNil(errorText(#"[null,"1","t","e",{}"#, .v2))
    }

    func testGarbageTextNeverCrashes() {
        var random = SeededBytes(seed: 42)
        for length in 0..<300 {
            let frame = buffer(bytes: random.bytes(count: length))
            for version in [ProtocolVersion.v1, .v2] {
                if case .success(let decoded) = InboundDecoder.decodeText(frame, version: version) {
                    XCTFail("random bytes decoded as \(decoded)")
                }
            }
        }
    }
}
