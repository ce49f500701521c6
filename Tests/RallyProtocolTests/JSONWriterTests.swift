import NIOCore
import XCTest

@testable import RallyProtocol

final class JSONWriterTests: XCTestCase {
    private let samples: [JSON] = [
        .null, .bool(true), .bool(false), .number("-1.5e3"), .string(""), .string("héllo 😀"),
        .string("quote\" backslash\\ slash/ nl\n cr\r tab\t bell\u{07} nul\u{0} us\u{1F} del\u{7F}"),
        .array([]), .emptyObject,
        .array([.number("1"), .array([.null, .emptyObject]), .string("x")]),
        .object(["b": .number("1"), "a": .object(["é": .array([.bool(false)])]), "": .string("empty key")]),
    ]

    func testCompactOutput() {
        let value = JSON.object([
            "topic": .string("realtime:room"), "list": .array([.number("1"), .null, .bool(true)]), "obj": .emptyObject,
        ])
        XCTAssertEqual(value.serializedString(), #"{"topic":"realtime:room","list":[1,null,true],"obj":{}}"#)
    }

    func testStringEscaping() {
        XCTAssertEqual(JSON.string("a\"b\\c").serializedString(), #""a\"b\\c""#)
        XCTAssertEqual(JSON.string("\n\r\t\u{08}\u{0C}").serializedString(), #""\n\r\t\b\f""#)
        XCTAssertEqual(JSON.string("\u{0}\u{01}\u{1F}").serializedString(), #""\u0000\u0001\u001f""#)
        XCTAssertEqual(JSON.string("/ é 😀 \u{7F}").serializedString(), "\"/ é 😀 \u{7F}\"", "non-ASCII stays UTF-8")
        XCTAssertEqual(JSON.object(["k\"ey": .string("v")]).serializedString(), #"{"k\"ey":"v"}"#)
    }

    func testNumbersAreWrittenAsTheirLiteral() {
        XCTAssertEqual(JSON.array([.number("1.50"), .number("0"), .int(-7)]).serializedString(), "[1.50,0,-7]")
    }

    func testByteCountIsExact() {
        for value in samples {
            let written = value.serializedBuffer()
            XCTAssertEqual(JSONWriter.byteCount(of: value), written.readableBytes, "\(value)")
        }
        for text in ["", "plain", "\"\\\n\u{01}", "é😀"] {
            var out = ByteBuffer()
            JSONWriter.writeString(text, into: &out)
            XCTAssertEqual(JSONWriter.byteCount(ofString: text), out.readableBytes, text)
        }
    }

    func testWriteThenParseRoundTrips() throws {
        for value in samples {
            XCTAssertEqual(try JSON(parsing: value.serializedBuffer()), value, "\(value)")
        }
    }

    func testParseThenWriteReproducesCompactText() throws {
        let texts = [
            #"{"z":[1,2.50,-0,1e+5],"a":{"nested":[{},[]]},"s":"é\n\"","n":null,"t":true,"f":false}"#,
            #"[null,"1","realtime:room","phx_join",{"config":{"broadcast":{"self":false}}}]"#,
        ]
        for text in texts {
            XCTAssertEqual(try JSON(parsing: text).serializedString(), text)
        }
    }

    func testWritesAppendToExistingBuffer() {
        var out = ByteBuffer(string: "prefix:")
        JSONWriter.write(.array([.string("a")]), into: &out)
        JSON.object(["k": .null]).write(to: &out)
        XCTAssertEqual(String(buffer: out), #"prefix:["a"]{"k":null}"#)
    }

    func testConvenienceSpellings() throws {
        let value = try JSON.parse(ByteBuffer(string: #"{"a":"é\n"}"#))
        XCTAssertEqual(value, .object(["a": .string("é\n")]))
        XCTAssertEqual(value.encodedByteCount, value.serializedBuffer().readableBytes)
        XCTAssertThrowsError(try JSON.parse(ByteBuffer(string: "{")))
    }

    func testEveryASCIIByteAtEveryPositionOfTheWordScan() throws {
        let shortForms: Set<UInt8> = [0x22, 0x5C, 0x08, 0x0C, 0x0A, 0x0D, 0x09]
        for scalar in UInt8(0)..<0x80 {
            for position in 0..<18 {
                var utf8 = Array(repeating: UInt8(ascii: "a"), count: 18)
                utf8[position] = scalar
                let text = String(decoding: utf8, as: UTF8.self)
                let written = JSON.string(text).serializedBuffer()
                let extra = shortForms.contains(scalar) ? 1 : (scalar < 0x20 ? 5 : 0)
                XCTAssertEqual(written.readableBytes, 20 + extra, "byte \(scalar) at \(position)")
                XCTAssertEqual(JSONWriter.byteCount(ofString: text), written.readableBytes)
                XCTAssertEqual(try JSON(parsing: written), .string(text))
            }
        }
    }
}
