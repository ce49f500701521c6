import NIOCore
import XCTest

@testable import RallyProtocol

final class OutboundEncoderTests: XCTestCase {
    private func heartbeatReply(ref: JSON?, joinRef: JSON? = nil) -> OutboundMessage {
        OutboundMessage(joinRef: joinRef, ref: ref, topic: "phoenix", event: "phx_reply", payload: Replies.ok())
    }

    func testV1ReplyHasRefAndNeverJoinRef() {
        let frame = OutboundEncoder.encode(heartbeatReply(ref: .string("5"), joinRef: .string("1")), version: .v1)
        XCTAssertFalse(frame.isBinary)
        XCTAssertEqual(frame.text, #"{"topic":"phoenix","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":"5"}"#)
    }

    func testV1PushCarriesRefNull() {
        let push = OutboundMessage(joinRef: .string("1"), ref: nil, topic: "realtime:room1", event: "system",
                                   payload: Replies.system(ok: true, message: "Subscribed to PostgreSQL", channel: "room1"))
        XCTAssertEqual(OutboundEncoder.encode(push, version: .v1).text,
                       #"{"topic":"realtime:room1","event":"system","payload":{"extension":"system","status":"ok","#
                       + #""message":"Subscribed to PostgreSQL","channel":"room1"},"ref":null}"#)
    }

    func testV2Arrays() {
        XCTAssertEqual(OutboundEncoder.encode(heartbeatReply(ref: .string("5")), version: .v2).text,
                       #"[null,"5","phoenix","phx_reply",{"status":"ok","response":{}}]"#)
        let close = OutboundMessage(joinRef: .string("3"), ref: .string("3"), topic: "realtime:r", event: "phx_close", payload: .emptyObject)
        XCTAssertEqual(OutboundEncoder.encode(close, version: .v2).text, #"["3","3","realtime:r","phx_close",{}]"#)
        let state = OutboundMessage(joinRef: .string("3"), ref: nil, topic: "realtime:r", event: "presence_state", payload: .emptyObject)
        XCTAssertEqual(OutboundEncoder.encode(state, version: .v2).text, #"["3",null,"realtime:r","presence_state",{}]"#)
    }

    func testIntegerAndNullRefsAreEchoedUnchanged() throws {
        for (ref, expected) in [("0", "0"), ("17", "17"), ("null", "null"), ("\"abc\"", "\"abc\""), ("1.50", "1.50")] {
            let inbound = buffer(#"{"topic":"phoenix","event":"heartbeat","payload":{},"ref":\#(ref)}"#)
            guard case .message(let message)? = success(InboundDecoder.decodeText(inbound, version: .v1)) else {
                return XCTFail("heartbeat did not decode")
            }
            let v1 = OutboundEncoder.encode(heartbeatReply(ref: message.ref), version: .v1).text
            XCTAssertTrue(v1.hasSuffix(#","ref":\#(expected)}"#), v1)
            let v2 = OutboundEncoder.encode(heartbeatReply(ref: message.ref), version: .v2).text
            XCTAssertTrue(v2.hasPrefix("[null,\(expected),"), v2)
        }
    }

    func testEscapedTopicAndEventSurviveARoundTrip() throws {
        let message = OutboundMessage(joinRef: .string("1"), ref: .string("2"), topic: "realtime:\"q\"\n é",
                                      event: "e\\v", payload: .object(["k": .array([.number("1")])]))
        for version in [ProtocolVersion.v1, .v2] {
            let encoded = OutboundEncoder.encode(message, version: version)
            guard case .message(let decoded)? = success(InboundDecoder.decodeText(encoded.bytes, version: version)) else {
                return XCTFail("did not decode")
            }
            XCTAssertEqual(decoded.topic, message.topic)
            XCTAssertEqual(decoded.event, message.event)
            XCTAssertEqual(decoded.payload, message.payload)
            XCTAssertEqual(decoded.ref, message.ref)
            XCTAssertEqual(decoded.joinRef, version == .v1 ? nil : message.joinRef)
        }
    }
}
