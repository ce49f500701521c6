import NIOCore
import RallyRedis
import XCTest

final class RESPCommandEncoderTests: XCTestCase {
    func testStringsAreFormattedAsAMultiBulkRequest() throws {
        let bytes = try RESPCommandEncoder.encode(["SET", "key", "value"])
        XCTAssertEqual(String(buffer: bytes), "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n")
    }

    func testEmptyAndUnicodeArguments() throws {
        let bytes = try RESPCommandEncoder.encode(["PUBLISH", "", "é✓"])
        XCTAssertEqual(Array(bytes.readableBytesView),
                       Array("*3\r\n$7\r\nPUBLISH\r\n$0\r\n\r\n$5\r\né✓\r\n".utf8))
    }

    func testBinaryArgumentsAreCopiedByteForByte() throws {
        let payload: [UInt8] = [0, 0xff, 13, 10, 0x24, 0, 0x80]
        let bytes = try RESPCommandEncoder.encode([ByteBuffer(string: "PUBLISH"), ByteBuffer(string: "c"),
                                                   ByteBuffer(bytes: payload)])
        let expected = Array("*3\r\n$7\r\nPUBLISH\r\n$1\r\nc\r\n$7\r\n".utf8) + payload + Array("\r\n".utf8)
        XCTAssertEqual(Array(bytes.readableBytesView), expected)
    }

    func testArgumentsWithAReaderIndexAreTakenFromIt() throws {
        var argument = ByteBuffer(string: "xxGET")
        argument.moveReaderIndex(forwardBy: 2)
        let bytes = try RESPCommandEncoder.encode([argument])
        XCTAssertEqual(String(buffer: bytes), "*1\r\n$3\r\nGET\r\n")
    }

    func testAppendsToAnExistingBuffer() throws {
        var buffer = ByteBuffer(string: "+")
        try RESPCommandEncoder.encode(["PING"], into: &buffer)
        try RESPCommandEncoder.encode(["PING"], into: &buffer)
        XCTAssertEqual(String(buffer: buffer), "+*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n")
    }

    func testAnEmptyCommandIsRefused() {
        XCTAssertThrowsError(try RESPCommandEncoder.encode([String]())) {
            XCTAssertEqual($0 as? RedisError, .commandFormatFailed)
        }
    }

    func testALargeArgument() throws {
        let big = ByteBuffer(repeating: 0x61, count: 100_000)
        let bytes = try RESPCommandEncoder.encode([ByteBuffer(string: "SET"), ByteBuffer(string: "k"), big])
        XCTAssertEqual(bytes.readableBytes, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000\r\n".utf8.count + 100_002)
    }
}
