import NIOCore
import XCTest
@testable import RallyWebSocket

/// A frame whose payload is written behind its header (`SharedFrame.init(isBinary:payloadByteCount:writePayload:)`)
/// is byte for byte the frame built from the same payload, plain and compressed, across the header's three sizes.
final class SharedFrameTests: XCTestCase {
    func testAPayloadWrittenBehindTheHeaderIsTheSameFrame() {
        for size in [0, 1, 125, 126, 65_535, 65_536] {
            for isBinary in [false, true] {
                let payload = ByteBuffer(bytes: (0..<size).map { UInt8(ascii: "a") + UInt8($0 % 26) })
                let copied = SharedFrame(isBinary: isBinary, payload: payload)
                let written = SharedFrame(isBinary: isBinary, payloadByteCount: size) { buffer in
                    var bytes = payload
                    buffer.writeBuffer(&bytes)
                }
                XCTAssertEqual(written.wireBytes(for: nil), copied.wireBytes(for: nil), "\(size)")
                XCTAssertEqual(written.payloadByteCount, size)
                XCTAssertEqual(written.isBinary, isBinary)
                for bits in [9, 15] {
                    let deflate = DeflateParameters(serverMaxWindowBits: bits)
                    XCTAssertEqual(written.wireBytes(for: deflate), copied.wireBytes(for: deflate), "\(size) \(bits)")
                }
            }
        }
    }
}
