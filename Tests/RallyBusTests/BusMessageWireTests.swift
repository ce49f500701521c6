import NIOCore
import RallyBus
import RallyProtocol
import XCTest

/// The formats on the bus: the nodes' binary form (every length checked against hostile input) and the JSON form
/// backend services publish.
final class BusMessageWireTests: XCTestCase {
    private let sample = BusMessage(kind: .broadcast, origin: 0xDEAD_BEEF, sequence: 42, previous: 41,
                                    sentAtMicros: 1_700_000_000_000_000, topic: "realtime:room:1", event: "msg",
                                    senderUser: "8a1c…", meta: .object(["id": .string("x")]), preferBinary: true,
                                    payload: .json(.object(["text": .string("héllo"), "n": .int(3)])))

    func testBinaryFormRoundTrips() throws {
        XCTAssertEqual(try BusMessage.decode(sample.encode()), sample)
        var binary = sample
        binary.payload = .binary(ByteBuffer(bytes: [0, 255, 1, 0x7B]))
        binary.meta = nil
        binary.senderUser = nil
        XCTAssertEqual(try BusMessage.decode(binary.encode()), binary)
    }

    func testEveryTruncationIsAnErrorNotACrash() {
        let bytes = sample.encode()
        for length in 0..<bytes.readableBytes - 1 {
            let prefix = bytes.getSlice(at: bytes.readerIndex, length: length)!
            XCTAssertThrowsError(try BusMessage.decode(prefix), "prefix of \(length) bytes")
        }
    }

    func testHostileLengthsAndKindsAreRefused() {
        var bytes = sample.encode()
        bytes.setInteger(UInt8(99), at: bytes.readerIndex + 1)
        XCTAssertThrowsError(try BusMessage.decode(bytes)) { XCTAssertEqual($0 as? BusMessage.WireError, .unknownKind(99)) }
        var long = sample.encode()
        long.setInteger(UInt16.max, at: long.readerIndex + 35)  // the topic's length field
        XCTAssertThrowsError(try BusMessage.decode(long)) { XCTAssertEqual($0 as? BusMessage.WireError, .truncated) }
        XCTAssertThrowsError(try BusMessage.decode(ByteBuffer(bytes: [0x00]))) {
            XCTAssertEqual($0 as? BusMessage.WireError, .unknownMagic(0))
        }
        let huge = ByteBuffer(repeating: 0xB1, count: BusMessage.maxWireBytes + 1)
        XCTAssertThrowsError(try BusMessage.decode(huge))
    }

    func testServiceMessagesAreParsedAndBounded() throws {
        let message = try ServiceMessage.parse(
            ServiceMessage.encode(topic: "room1", event: "news", payload: .object(["a": .int(1)]), id: "m-1"),
            maxPayloadBytes: 1000)
        XCTAssertEqual(message.topic, "realtime:room1")
        XCTAssertEqual(message.event, "news")
        XCTAssertEqual(message.meta, .object(["id": .string("m-1")]))
        XCTAssertEqual(message.origin, 0)
        let prefixed = try ServiceMessage.parse(ByteBuffer(string: #" {"topic":"realtime:r","event":"e","payload":{}}"#),
                                                maxPayloadBytes: 10)
        XCTAssertEqual(prefixed.topic, "realtime:r")
        XCTAssertTrue(ServiceMessage.isJSONForm(ByteBuffer(string: "  {")))
        XCTAssertFalse(ServiceMessage.isJSONForm(sample.encode()))

        let cases: [(String, ServiceMessage.Invalid)] = [
            ("[1]", .notJSON), ("{", .notJSON), (#"{"event":"e","payload":{}}"#, .missingField("topic")),
            (#"{"topic":"t","payload":{}}"#, .missingField("event")),
            (#"{"topic":"t","event":"e","payload":[1]}"#, .missingField("payload")),
            (#"{"topic":"realtime:","event":"e","payload":{}}"#, .missingField("topic")),
            (#"{"topic":"\#(String(repeating: "t", count: 300))","event":"e","payload":{}}"#, .topicTooLong),
            (#"{"topic":"t","event":"e","payload":{"big":"\#(String(repeating: "x", count: 200))"}}"#, .tooLarge(210)),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try ServiceMessage.parse(ByteBuffer(string: text), maxPayloadBytes: 100), text) {
                XCTAssertEqual($0 as? ServiceMessage.Invalid, expected, text)
            }
        }
    }

    func testChannelNamesRoundTrip() {
        for channel in [BusChannel.topic("realtime:a:b"), .control, .node(0xABC), .ingress] {
            XCTAssertEqual(BusChannel(name: channel.name), channel)
        }
        XCTAssertNil(BusChannel(name: "other:thing"))
        XCTAssertEqual(BusChannel.topic("realtime:room1").name, "rally:t:realtime:room1")
    }
}

final class ThrottleTests: XCTestCase {
    func testAllowsOncePerInterval() {
        var throttle = Throttle(interval: .seconds(1))
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        XCTAssertTrue(throttle.allow(now: start))
        XCTAssertFalse(throttle.allow(now: start + .milliseconds(500)))
        XCTAssertFalse(throttle.allow(now: start + .seconds(1)))
        XCTAssertTrue(throttle.allow(now: start + .milliseconds(1001)))
    }
}
