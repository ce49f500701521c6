import NIOCore
import XCTest

@testable import RallyWebSocket

final class InboundFrameReaderTests: XCTestCase {
    private var reader = InboundFrameReader(limits: .init(maxFrameSize: 1024, maxMessageSize: 2048), deflate: nil)

    /// Feeds the frames (in chunks of `chunkSize` bytes, nil: all at once) and collects the events.
    private func events(_ frames: [ClientFrame], chunkSize: Int? = nil) -> [InboundEvent] {
        let bytes = frames.flatMap(\.bytes)
        let size = chunkSize ?? max(bytes.count, 1)
        var events: [InboundEvent] = []
        for start in stride(from: 0, to: bytes.count, by: size) {
            var buffer = ByteBuffer(bytes: bytes[start..<min(start + size, bytes.count)])
            while let event = reader.nextEvent(from: &buffer) { events.append(event) }
        }
        return events
    }

    private func failureCode(_ events: [InboundEvent]) -> UInt16? {
        for case .failure(let violation) in events { return violation.code }
        return nil
    }

    func testSingleFrameTextMessage() {
        XCTAssertEqual(events([.text("hello")]), [.message(.text(ByteBuffer(string: "hello")))])
    }

    func testFramesSplitAtEveryByteAreReassembled() {
        let frames: [ClientFrame] = [.text("Hello, "), ClientFrame(opcode: 0x0, payload: Array("world".utf8))]
        var fragmented = frames
        fragmented[0].fin = false
        XCTAssertEqual(events(fragmented, chunkSize: 1), [.message(.text(ByteBuffer(string: "Hello, world")))])
    }

    func testPingBetweenFragmentsIsAnsweredBeforeTheMessageCompletes() {
        let frames: [ClientFrame] = [
            .text("frag1", fin: false),
            ClientFrame(opcode: 0x9, payload: [1, 2, 3]),
            ClientFrame(opcode: 0x0, payload: Array("frag2".utf8)),
        ]
        XCTAssertEqual(events(frames), [.ping(ByteBuffer(bytes: [1, 2, 3])), .message(.text(ByteBuffer(string: "frag1frag2")))])
    }

    func testLargeBinaryMessageWithSixtyFourBitLengthIsNotAllowedPastTheFrameLimit() {
        let frame = ClientFrame(opcode: 0x2, payload: [UInt8](repeating: 7, count: 1025))
        XCTAssertEqual(failureCode(events([frame])), 1009)
    }

    func testMessageOverTheLimitAcrossFragmentsFailsWith1009() {
        let chunk = [UInt8](repeating: 0x41, count: 1000)
        let frames = [
            ClientFrame(opcode: 0x1, payload: chunk, fin: false), ClientFrame(opcode: 0x0, payload: chunk, fin: false),
            ClientFrame(opcode: 0x0, payload: chunk),
        ]
        XCTAssertEqual(failureCode(events(frames)), 1009)
    }

    func testInvalidUTF8InAnEarlyFragmentFailsBeforeTheMessageEnds() {
        let bad = ClientFrame(opcode: 0x1, payload: Array("ok".utf8) + [0xED, 0xA0, 0x80], fin: false)
        XCTAssertEqual(events([bad]), [.failure(.invalidUTF8)])
    }

    func testInvalidUTF8IsFoundInTheMiddleOfAFrameStillArriving() {
        let frame = ClientFrame(opcode: 0x1, payload: [0x61, 0xC0] + [UInt8](repeating: 0x61, count: 200))
        let bytes = frame.bytes
        var head = ByteBuffer(bytes: bytes[..<10])  // header (6) and the first payload bytes only
        XCTAssertEqual(reader.nextEvent(from: &head), .failure(.invalidUTF8))
    }

    func testTextEndingInsideACodePointFailsWith1007() {
        XCTAssertEqual(failureCode(events([ClientFrame(opcode: 0x1, payload: [0xE2, 0x82])])), 1007)
    }

    func testProtocolViolationsFailWith1002() {
        var unmasked = ClientFrame.text("x")
        unmasked.maskingKey = nil
        var rsv2 = ClientFrame.text("x")
        rsv2.rsv2 = true
        var rsv1WithoutDeflate = ClientFrame.text("x")
        rsv1WithoutDeflate.rsv1 = true
        var fragmentedPing = ClientFrame(opcode: 0x9, payload: [])
        fragmentedPing.fin = false
        let cases: [[ClientFrame]] = [
            [unmasked], [rsv2], [rsv1WithoutDeflate], [fragmentedPing],
            [ClientFrame(opcode: 0x3, payload: [])], [ClientFrame(opcode: 0xB, payload: [])],
            [ClientFrame(opcode: 0x9, payload: [UInt8](repeating: 0, count: 126))],
            [ClientFrame(opcode: 0x0, payload: Array("orphan".utf8))],
            [.text("a", fin: false), .text("b")],
        ]
        for frames in cases {
            reader = InboundFrameReader(limits: .init(maxFrameSize: 1024, maxMessageSize: 2048), deflate: nil)
            XCTAssertEqual(failureCode(events(frames)), 1002, "\(frames.map(\.bytes))")
        }
    }

    func testCloseFrames() {
        let cases: [(ClientFrame, InboundEvent)] = [
            (.close(code: nil), .close(code: nil)),
            (.close(code: 1000, reason: Array("bye".utf8)), .close(code: 1000)),
            (.close(code: 4999), .close(code: 4999)),
            (ClientFrame(opcode: 0x8, payload: [0x03]), .failure(.protocolError("close frame with a one-byte body"))),
            (.close(code: 1005), .failure(.protocolError("invalid close code 1005"))),
            (.close(code: 999), .failure(.protocolError("invalid close code 999"))),
            (.close(code: 2000), .failure(.protocolError("invalid close code 2000"))),
            (.close(code: 1000, reason: [0xFF]), .failure(InboundViolation(code: 1007, reason: "close reason is not UTF-8"))),
        ]
        for (frame, expected) in cases {
            reader = InboundFrameReader(limits: .init(maxFrameSize: 1024, maxMessageSize: 2048), deflate: nil)
            XCTAssertEqual(events([frame]), [expected], "\(frame.payload)")
        }
    }

    func testValidCloseCodes() {
        for code: UInt16 in [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999] {
            XCTAssertTrue(CloseFrameBody.isValidReceivedCode(code), "\(code)")
        }
        for code: UInt16 in [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535] {
            XCTAssertFalse(CloseFrameBody.isValidReceivedCode(code), "\(code)")
        }
    }

    func testAfterAFailureOnlyTheCloseFrameIsReported() {
        var unmasked = ClientFrame.text("x")
        unmasked.maskingKey = nil
        let frames: [ClientFrame] = [unmasked, .text("ignored"), ClientFrame(opcode: 0x9, payload: []), .close(code: 1002)]
        XCTAssertEqual(events(frames), [.failure(.protocolError("unmasked client frame")), .close(code: 1002)])
    }
}
