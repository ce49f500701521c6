import NIOCore
import XCTest

@testable import RallyProtocol

final class JSONParserTests: XCTestCase {
    func testScalarsAndContainers() {
        XCTAssertEqual(parse("null"), .null)
        XCTAssertEqual(parse("true"), .bool(true))
        XCTAssertEqual(parse(" false "), .bool(false))
        XCTAssertEqual(parse("\"hi\""), .string("hi"))
        XCTAssertEqual(parse("[]"), .array([]))
        XCTAssertEqual(parse("{}"), .emptyObject)
        XCTAssertEqual(parse(" [ 1 , \"a\" , null , { } ] "), .array([.number("1"), .string("a"), .null, .emptyObject]))
        XCTAssertEqual(parse("\t{\r\n\"a\" :\n[true]}"), .object(["a": .array([.bool(true)])]))
    }

    func testObjectKeyOrderAndDuplicatesAreKept() {
        let value = parse(#"{"z":1,"a":2,"m":{"y":1,"b":2},"a":3}"#)
        XCTAssertEqual(value?.objectValue?.fields.map(\.key), ["z", "a", "m", "a"])
        XCTAssertEqual(value?["m"]?.objectValue?.fields.map(\.key), ["y", "b"])
        XCTAssertEqual(value?["a"], .number("2"), "subscript returns the first field")
    }

    func testNumbersKeepTheirLiteralText() {
        for literal in ["0", "-0", "1.50", "1e10", "1E+2", "-1.25e-3", "123456789012345678901234567890", "0.0", "2e-0"] {
            XCTAssertEqual(parse(literal), .number(literal), literal)
            XCTAssertEqual(parse("[\(literal)]"), .array([.number(literal)]), literal)
        }
        XCTAssertEqual(parse("42")?.intValue, 42)
        XCTAssertEqual(parse("1.5")?.doubleValue, 1.5)
    }

    func testInvalidNumbersAreRejected() {
        for text in ["01", "-01", "00", "-", "1.", ".5", "1e", "1e+", "+1", "0x10", "1.e3", "NaN", "Infinity", "-Infinity", "1 2", "[01]", "--1"] {
            parseError(text)
        }
        XCTAssertEqual(parseError("01")?.reason, "leading zeros are not allowed in numbers")
    }

    func testStringEscapes() {
        XCTAssertEqual(parse(#""\" \\ \/ \b \f \n \r \t""#), .string("\" \\ / \u{08} \u{0C} \n \r \t"))
        XCTAssertEqual(parse(#""caf\u00e9 \u00E9""#), .string("café é"))
        XCTAssertEqual(parse(#""\u0000""#), .string("\u{0}"))
        XCTAssertEqual(parse(#""\ud83d\ude00""#), .string("😀"))
        XCTAssertEqual(parse(#""a\uD834\uDD1Eb""#), .string("a𝄞b"))
        XCTAssertEqual(parse("\"😀 ünïcödé\""), .string("😀 ünïcödé"))
        XCTAssertEqual(parse(#""plain then \n escape then é""#), .string("plain then \n escape then é"))
    }

    func testInvalidStringsAreRejected() {
        parseError(#""\x""#)
        parseError(#""\u12""#)
        parseError(#""\u12G4""#)
        parseError(#""\'""#)
        parseError("\"tab\there\"")
        parseError("\"new\nline\"")
        parseError("\"unterminated")
        parseError("\"ends in escape\\")
        parseError("'single'")
    }

    func testLoneSurrogatesAreRejected() {
        XCTAssertEqual(parseError(#""\ud83d""#)?.reason, "lone high surrogate in \\u escape")
        XCTAssertEqual(parseError(#""\ud83dx""#)?.reason, "lone high surrogate in \\u escape")
        XCTAssertEqual(parseError(#""\ud83d\u0041""#)?.reason, "invalid low surrogate in \\u escape")
        XCTAssertEqual(parseError(#""\ud83d\ud83d""#)?.reason, "invalid low surrogate in \\u escape")
        XCTAssertEqual(parseError(#""\ude00""#)?.reason, "lone low surrogate in \\u escape")
    }

    func testInvalidUTF8IsRejected() {
        let quote = UInt8(ascii: "\"")
        parseError(bytes: [quote, 0xC3, 0x28, quote])            // bad continuation
        parseError(bytes: [quote, 0xC0, 0xAF, quote])            // overlong "/"
        parseError(bytes: [quote, 0xED, 0xA0, 0x80, quote])      // encoded surrogate
        parseError(bytes: [quote, 0xF4, 0x90, 0x80, 0x80, quote]) // above U+10FFFF
        parseError(bytes: [quote, 0xE2, 0x82, quote])            // truncated sequence
        parseError(bytes: [quote, 0x5C, 0x6E, 0xFF, quote])      // invalid byte after an escape
        XCTAssertNoThrow(try JSON(parsing: [quote, 0xE2, 0x82, 0xAC, quote]))
    }

    func testStructuralErrors() {
        for text in ["", "   ", "[1,]", "{\"a\":1,}", "[,1]", "{,}", "{\"a\" 1}", "{\"a\":}", "{1:2}", "{a:1}",
                     "[1 2]", "{\"a\":1 \"b\":2}", "[", "{", "[1", "{\"a\":1", "]", "}", "tru", "nul", "falsey", "True"] {
            parseError(text)
        }
    }

    func testTrailingGarbageIsRejected() {
        XCTAssertEqual(parseError("{} x")?.reason, "unexpected data after the JSON value")
        parseError("[1] [2]")
        parseError("null null")
        parseError("1 ,")
        XCTAssertEqual(parseError("{} x")?.offset, 3)
    }

    func testNestingDepthLimit() {
        let allowed = String(repeating: "[", count: JSON.maxNestingDepth) + String(repeating: "]", count: JSON.maxNestingDepth)
        XCTAssertNotNil(parse(allowed))
        let tooDeep = "[" + allowed + "]"
        XCTAssertEqual(parseError(tooDeep)?.reason, "nesting deeper than 64 levels")
        let deepObjects = String(repeating: "{\"a\":", count: 65) + "1" + String(repeating: "}", count: 65)
        parseError(deepObjects)
        let hostile = String(repeating: "[", count: 100_000)
        parseError(hostile)
    }

    func testParsesFromBufferAtItsReaderIndex() throws {
        var bytes = ByteBuffer(string: "garbage{\"a\":[1]}")
        bytes.moveReaderIndex(forwardBy: 7)
        XCTAssertEqual(try JSON(parsing: bytes), .object(["a": .array([.number("1")])]))
        XCTAssertEqual(bytes.readerIndex, 7, "parsing does not consume the buffer")
        XCTAssertEqual(try JSON(parsing: Array("[true]".utf8)[...]), .array([.bool(true)]))
        XCTAssertEqual(try JSON(parsing: "[true]".utf8), .array([.bool(true)]))
    }

    func testTruncatedDocumentsNeverParse() {
        let document = #"{"topic":"realtime:r","payload":{"a":[1,2.5e3,"x\u00e9\n"],"b":null,"c":true},"ref":"1"}"#
        let bytes = Array(document.utf8)
        XCTAssertNotNil(parse(document))
        for length in 0..<bytes.count {
            parseError(bytes: Array(bytes[0..<length]))
        }
    }

    func testRandomBytesNeverCrash() {
        var random = SeededBytes(seed: 7)
        let alphabet = Array("{}[]\",:0123456789-+.eEtrufalsn \\u".utf8)
        for length in 0..<400 {
            let bytes = random.bytes(count: length % 40).map { alphabet[Int($0) % alphabet.count] }
            _ = try? JSON(parsing: bytes)
        }
    }

    /// The protocol's words come back as literals (`ProtocolWords`): equal to the decoded text, whatever the form
    /// they were sent in; near misses are decoded as any string.
    func testProtocolWordsParseToTheSameStrings() {
        let words = ["ref", "type", "topic", "event", "config", "payload", "phoenix", "join_ref", "presence",
                     "phx_join", "broadcast", "heartbeat", "phx_leave"]
        let others = ["refs", "re", "Topic", "topiC", "events", "payloaD", "join-ref", "broadcas", "broadcastX",
                      "phx_joiN", "\u{e9}vent", "", "heartbeaT"]
        for word in words + others {
            XCTAssertEqual(parse("{\"\(word)\":\"\(word)\"}"), .object([word: .string(word)]), word)
        }
        XCTAssertEqual(parse(#"{"\u0074opic":"bro\u0061dcast"}"#), .object(["topic": .string("broadcast")]))
        XCTAssertEqual(parse(#"["t\u0079pe"]"#), .array([.string("type")]))
    }
}
