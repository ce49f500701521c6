import Foundation
import NIOCore
import XCTest

@testable import RallyWebSocket

final class PerMessageDeflateNegotiationTests: XCTestCase {
    private func negotiate(_ values: [String], requireClientNoContextTakeover: Bool = false) -> DeflateAgreement? {
        PerMessageDeflateNegotiator.negotiate(headerValues: values, requireClientNoContextTakeover: requireClientNoContextTakeover)
    }

    func testPlainOfferIsAcceptedWithServerNoContextTakeover() {
        let agreement = negotiate(["permessage-deflate"])
        XCTAssertEqual(agreement?.responseHeaderValue, "permessage-deflate; server_no_context_takeover")
        XCTAssertEqual(agreement?.parameters, DeflateParameters())
    }

    func testBrowserStyleOfferKeepsClientContext() {
        let agreement = negotiate(["permessage-deflate; client_max_window_bits"])
        XCTAssertEqual(agreement?.parameters.clientNoContextTakeover, false)
        XCTAssertEqual(agreement?.parameters.clientMaxWindowBits, 15)
        XCTAssertEqual(agreement?.responseHeaderValue, "permessage-deflate; server_no_context_takeover")
    }

    func testAllParametersAreEchoedWithTheirValues() {
        let agreement = negotiate([
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=\"12\""
        ])
        XCTAssertEqual(
            agreement?.parameters,
            DeflateParameters(clientNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 12)
        )
        XCTAssertEqual(
            agreement?.responseHeaderValue,
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12"
        )
    }

    func testFirstAcceptableOfferWinsAcrossHeaderLines() {
        let agreement = negotiate([
            "x-webkit-deflate-frame, permessage-deflate; server_max_window_bits=16",
            "permessage-deflate; server_max_window_bits=9, permessage-deflate",
        ])
        XCTAssertEqual(agreement?.parameters.serverMaxWindowBits, 9)
    }

    func testInvalidOrDuplicateParametersDeclineTheOffer() {
        for offer in [
            "permessage-deflate; server_max_window_bits", "permessage-deflate; server_max_window_bits=7",
            "permessage-deflate; client_max_window_bits=016", "permessage-deflate; server_no_context_takeover=1",
            "permessage-deflate; client_no_context_takeover; client_no_context_takeover", "permessage-deflate; foo",
        ] {
            XCTAssertNil(negotiate([offer]), offer)
        }
        XCTAssertNil(negotiate([]))
    }

    func testWindowBitsEightIsAcceptedAndServedWithRunLengthMatches() throws {
        let agreement = try XCTUnwrap(negotiate(["permessage-deflate; server_max_window_bits=8"]))
        XCTAssertEqual(agreement.parameters.serverMaxWindowBits, 8)
        // Repetition far apart would need a 512-byte window; a 256-byte inflater must still decode it.
        let payload = ByteBuffer(bytes: (0..<2000).map { UInt8(truncatingIfNeeded: $0 % 300) })
        let frame = try XCTUnwrap(OutboundFrameBuilder.compressedFrame(opcode: 0x2, payload: payload, windowBits: 8))
        let parsed = try XCTUnwrap(ServerFrame.parseAll(frame).first)
        XCTAssertEqual(try inflateServerMessage(parsed.payload, windowBits: 8), payload.bytes)
    }

    func testServerCanRequireClientNoContextTakeover() {
        let agreement = negotiate(["permessage-deflate"], requireClientNoContextTakeover: true)
        XCTAssertEqual(agreement?.parameters.clientNoContextTakeover, true)
        XCTAssertEqual(agreement?.responseHeaderValue, "permessage-deflate; server_no_context_takeover; client_no_context_takeover")
    }
}

final class PerMessageDeflateDataTests: XCTestCase {
    private let limits = InboundLimits(maxFrameSize: 1 << 20, maxMessageSize: 1 << 20)

    private func compressedFrame(_ body: [UInt8], opcode: UInt8 = 0x1) -> ClientFrame {
        ClientFrame(opcode: opcode, payload: body, rsv1: true)
    }

    private func readAll(_ reader: inout InboundFrameReader, _ frames: [ClientFrame]) -> [InboundEvent] {
        var buffer = ByteBuffer(bytes: frames.flatMap(\.bytes))
        var events: [InboundEvent] = []
        while let event = reader.nextEvent(from: &buffer) { events.append(event) }
        return events
    }

    func testClientContextTakeoverIsHonouredAcrossMessages() {
        let client = ClientDeflater()
        let text = (0..<60).map { "w\($0 * 7919 % 1000)" }.joined(separator: " ")
        let first = client.compress(Array(text.utf8))
        let second = client.compress(Array(text.utf8))
        XCTAssertLessThan(second.count, first.count / 4, "the second message should refer back to the first")
        var reader = InboundFrameReader(limits: limits, deflate: DeflateParameters())
        let events = readAll(&reader, [compressedFrame(first), compressedFrame(second)])
        XCTAssertEqual(events, [.message(.text(ByteBuffer(string: text))), .message(.text(ByteBuffer(string: text)))])
    }

    func testNoContextTakeoverMessagesAreIndependent() {
        let text = String(repeating: "independent ", count: 30)
        var reader = InboundFrameReader(limits: limits, deflate: DeflateParameters(clientNoContextTakeover: true))
        let frames = (0..<3).map { _ in compressedFrame(ClientDeflater().compress(Array(text.utf8))) }
        XCTAssertEqual(readAll(&reader, frames), Array(repeating: .message(.text(ByteBuffer(string: text))), count: 3))
    }

    func testFragmentedCompressedMessage() {
        let payload = (0..<5000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let body = ClientDeflater().compress(payload)
        let middle = body.count / 2
        let frames = [
            ClientFrame(opcode: 0x2, payload: Array(body[..<middle]), fin: false, rsv1: true),
            ClientFrame(opcode: 0x0, payload: Array(body[middle...])),
        ]
        var reader = InboundFrameReader(limits: limits, deflate: DeflateParameters())
        XCTAssertEqual(readAll(&reader, frames), [.message(.binary(ByteBuffer(bytes: payload)))])
    }

    func testDecompressionBombIsStoppedAtTheMessageLimit() {
        let body = ClientDeflater().compress([UInt8](repeating: 0, count: 200_000))
        XCTAssertLessThan(body.count, 1000)
        var reader = InboundFrameReader(limits: .init(maxFrameSize: 1 << 20, maxMessageSize: 100_000), deflate: DeflateParameters())
        XCTAssertEqual(readAll(&reader, [compressedFrame(body, opcode: 0x2)]), [.failure(.messageTooLarge)])
    }

    func testCompressedInvalidUTF8FailsWith1007() {
        let body = ClientDeflater().compress([0x61, 0xFF, 0x62])
        var reader = InboundFrameReader(limits: limits, deflate: DeflateParameters())
        XCTAssertEqual(readAll(&reader, [compressedFrame(body)]), [.failure(.invalidUTF8)])
    }

    func testSharedFrameCompressesOncePerWindowAndSharesTheBytes() throws {
        let text = String(repeating: "{\"event\":\"broadcast\",\"payload\":{}}", count: 10)
        let shared = SharedFrame(isBinary: false, payload: ByteBuffer(string: text))
        let deflate = DeflateParameters()
        let first = shared.wireBytes(for: deflate)
        let second = shared.wireBytes(for: DeflateParameters(clientNoContextTakeover: true))
        XCTAssertEqual(Self.address(of: first), Self.address(of: second), "same window bits must share one buffer")
        let frame = try XCTUnwrap(ServerFrame.parseAll(first).first)
        XCTAssertTrue(frame.rsv1)
        XCTAssertEqual(try inflateServerMessage(frame.payload), Array(text.utf8))
        let plain = try XCTUnwrap(ServerFrame.parseAll(shared.wireBytes(for: nil)).first)
        XCTAssertEqual(plain, ServerFrame(fin: true, rsv1: false, opcode: 0x1, payload: Array(text.utf8)))
        XCTAssertEqual(shared.payloadByteCount, text.utf8.count)
    }

    func testSharedFrameIsSafeToEncodeFromManyThreads() throws {
        let shared = SharedFrame(isBinary: true, payload: ByteBuffer(bytes: [UInt8](repeating: 3, count: 10_000)))
        let addresses = AddressRecorder()
        DispatchQueue.concurrentPerform(iterations: 16) { index in
            let bits = 9 + index % 3
            addresses.append(bits, Self.address(of: shared.wireBytes(for: DeflateParameters(serverMaxWindowBits: bits))))
        }
        XCTAssertEqual(addresses.distinctAddressesPerKey, [9: 1, 10: 1, 11: 1])
    }

    private static func address(of buffer: ByteBuffer) -> UInt {
        buffer.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
    }
}

/// Records (window bits, buffer address) pairs from many threads.
private final class AddressRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [(bits: Int, address: UInt)] = []

    func append(_ bits: Int, _ address: UInt) {
        lock.lock()
        entries.append((bits, address))
        lock.unlock()
    }

    var distinctAddressesPerKey: [Int: Int] {
        lock.lock()
        defer { lock.unlock() }
        return Dictionary(grouping: entries, by: \.bits).mapValues { Set($0.map(\.address)).count }
    }
}
