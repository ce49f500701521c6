import NIOCore
import NIOEmbedded
import XCTest

@testable import RallyRedis

final class RESPReplyDecoderTests: XCTestCase {
    private func bulk(_ text: String) -> RESPValue { .bulkString(ByteBuffer(string: text)) }
    private func bulk(_ bytes: [UInt8]) -> RESPValue { .bulkString(ByteBuffer(bytes: bytes)) }

    /// Replies as Redis 7 sends them, back to back, with the values they must decode to.
    private var recorded: (bytes: [UInt8], values: [RESPValue]) {
        var bytes: [UInt8] = []
        var values: [RESPValue] = []
        func add(_ wire: String, _ value: RESPValue) {
            bytes += Array(wire.utf8)
            values.append(value)
        }
        add("+OK\r\n", .simpleString("OK"))
        add("-ERR unknown command 'FOO'\r\n", .error("ERR unknown command 'FOO'"))
        add("-MOVED 3999 127.0.0.1:6381\r\n", .error("MOVED 3999 127.0.0.1:6381"))
        add(":0\r\n", .integer(0))
        add(":-42\r\n", .integer(-42))
        add(":9223372036854775807\r\n", .integer(Int.max))
        add("$5\r\nhello\r\n", bulk("hello"))
        add("$0\r\n\r\n", bulk(""))
        add("$-1\r\n", .bulkString(nil))
        add("*-1\r\n", .bulkString(nil))  // hiredis 0.14 reports nil arrays as nil
        add("*0\r\n", .array([]))
        add("*3\r\n$7\r\nmessage\r\n$9\r\nrally:t:a\r\n$5\r\nworld\r\n",
            .array([bulk("message"), bulk("rally:t:a"), bulk("world")]))
        add("*2\r\n$4\r\npong\r\n$0\r\n\r\n", .array([bulk("pong"), bulk("")]))
        add("*3\r\n$10\r\nssubscribe\r\n$9\r\nrally:t:a\r\n:1\r\n",
            .array([bulk("ssubscribe"), bulk("rally:t:a"), .integer(1)]))
        add("*3\r\n:1\r\n*2\r\n$1\r\na\r\n$-1\r\n*1\r\n*1\r\n*0\r\n",
            .array([.integer(1), .array([bulk("a"), .bulkString(nil)]), .array([.array([.array([])])])]))
        // CLUSTER SHARDS-shaped: depth 4.
        add("*1\r\n*4\r\n$5\r\nslots\r\n*2\r\n:0\r\n:16383\r\n$5\r\nnodes\r\n*1\r\n*2\r\n$2\r\nid\r\n$3\r\nabc\r\n",
            .array([.array([bulk("slots"), .array([.integer(0), .integer(16383)]), bulk("nodes"),
                             .array([.array([bulk("id"), bulk("abc")])])])]))
        let binary: [UInt8] = [0, 0xff, 13, 10, 0x24, 0x2a, 0, 0xfe, 0x80]
        bytes += Array("*3\r\n$8\r\nsmessage\r\n$2\r\nc\0\r\n$9\r\n".utf8) + binary + Array("\r\n".utf8)
        values.append(.array([bulk("smessage"), bulk([UInt8(ascii: "c"), 0]), bulk(binary)]))
        return (bytes, values)
    }

    /// An active embedded channel with the decoder.
    private func makeChannel(maxPendingBytes: Int = 1 << 20) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(handler: RESPReplyDecoder(maxPendingBytes: maxPendingBytes))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 6379)).wait()
        return channel
    }

    private func decode(_ chunks: [ArraySlice<UInt8>], maxPendingBytes: Int = 1 << 20) throws
        -> (values: [RESPValue], channel: EmbeddedChannel) {
        let channel = try makeChannel(maxPendingBytes: maxPendingBytes)
        var values: [RESPValue] = []
        for chunk in chunks {
            try channel.writeInbound(ByteBuffer(bytes: chunk))
            while let value = try channel.readInbound(as: RESPValue.self) { values.append(value) }
        }
        return (values, channel)
    }

    func testEverySplitPointOfTheRecordedRepliesDecodesTheSameValues() throws {
        let (bytes, expected) = recorded
        for split in 0...bytes.count {
            let (values, channel) = try decode([bytes[..<split], bytes[split...]])
            XCTAssertEqual(values, expected, "split at \(split)")
            XCTAssertTrue(channel.isActive)
            _ = try channel.finish()
        }
    }

    func testByteByByteFeedDecodesTheSameValues() throws {
        let (bytes, expected) = recorded
        let (values, channel) = try decode(bytes.indices.map { bytes[$0...$0] })
        XCTAssertEqual(values, expected)
        _ = try channel.finish()
    }

    func testBinaryBulkKeepsEveryByte() throws {
        let payload = (0...255).map(UInt8.init) + [0, 0]
        let wire = Array("$\(payload.count)\r\n".utf8) + payload + Array("\r\n".utf8)
        let (values, _) = try decode([wire[...]])
        XCTAssertEqual(values, [.bulkString(ByteBuffer(bytes: payload))])
    }

    func testAReaderErrorClosesTheChannel() throws {
        let channel = try makeChannel()
        XCTAssertThrowsError(try channel.writeInbound(ByteBuffer(string: "+OK\r\n>3\r\n"))) { error in
            guard case RedisError.protocolError(let message)? = error as? RedisError else {
                return XCTFail("\(error)")
            }
            XCTAssertTrue(message.contains("Protocol error"), message)
        }
        XCTAssertEqual(try channel.readInbound(as: RESPValue.self), .simpleString("OK"))
        XCTAssertFalse(channel.isActive)
    }

    func testAnUnterminatedBulkOverTheCapClosesTheChannel() throws {
        let channel = try makeChannel(maxPendingBytes: 64)
        XCTAssertNoThrow(try channel.writeInbound(ByteBuffer(string: "$1000\r\n" + String(repeating: "x", count: 40))))
        XCTAssertTrue(channel.isActive)
        XCTAssertThrowsError(try channel.writeInbound(ByteBuffer(string: String(repeating: "x", count: 40)))) {
            XCTAssertEqual($0 as? RedisError, .replyTooLarge(limit: 64))
        }
        XCTAssertFalse(channel.isActive)
    }

    func testAnUnfinishedArrayOfSmallElementsOverTheCapClosesTheChannel() throws {
        let channel = try makeChannel(maxPendingBytes: 64)
        try channel.writeInbound(ByteBuffer(string: "*1000\r\n"))
        var closedAfter = 0
        for index in 1...100 where channel.isActive {
            _ = try? channel.writeInbound(ByteBuffer(string: ":1\r\n"))
            closedAfter = index
        }
        XCTAssertFalse(channel.isActive)
        XCTAssertLessThanOrEqual(closedAfter, 16)
    }

    func testCompleteRepliesLargerThanTheCapPassWhenTheyArriveWhole() throws {
        let text = String(repeating: "y", count: 500)
        let (values, channel) = try decode([Array("$500\r\n\(text)\r\n+OK\r\n$3\r\nab".utf8)[...]],
                                           maxPendingBytes: 64)
        XCTAssertEqual(values, [bulk(text), .simpleString("OK")])
        XCTAssertTrue(channel.isActive)
    }

    func testAccessors() {
        XCTAssertEqual(RESPValue.integer(7).int, 7)
        XCTAssertEqual(bulk("12").int, 12)
        XCTAssertEqual(bulk("abc").string, "abc")
        XCTAssertEqual(RESPValue.simpleString("OK").string, "OK")
        XCTAssertEqual(RESPValue.array([.integer(1)]).array, [.integer(1)])
        XCTAssertNil(RESPValue.error("ERR x").string)
        XCTAssertEqual(RESPValue.error("ERR x").errorMessage, "ERR x")
        XCTAssertTrue(RESPValue.bulkString(nil).isNil)
    }
}

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
