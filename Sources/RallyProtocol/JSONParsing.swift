import NIOCore

/// Why a JSON text was rejected, and the byte offset where the parser gave up.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public var offset: Int
    public init(reason: String, offset: Int) { self.reason = reason; self.offset = offset }
    public var description: String { "\(reason) at byte \(offset)" }
}

extension JSON {
    /// Containers nested deeper than this are rejected (guards the recursive parser's stack).
    public static let maxNestingDepth = 64

    /// Parses one RFC 8259 JSON text from the readable bytes of `buffer` (the reader index is not moved).
    public init(parsing buffer: ByteBuffer) throws(JSONParseError) {
        let result = buffer.withUnsafeReadableBytes { bytes in JSON.parseResult(bytes) }
        self = try result.get()
    }

    /// Parses one RFC 8259 JSON text from UTF-8 bytes.
    public init<Bytes: Collection>(parsing bytes: Bytes) throws(JSONParseError) where Bytes.Element == UInt8 {
        let contiguous = bytes.withContiguousStorageIfAvailable { JSON.parseResult(UnsafeRawBufferPointer($0)) }
        if let contiguous {
            self = try contiguous.get()
        } else {
            self = try Array(bytes).withUnsafeBytes { JSON.parseResult($0) }.get()
        }
    }

    /// Parses one RFC 8259 JSON text.
    public init(parsing text: String) throws(JSONParseError) {
        var text = text
        self = try text.withUTF8 { JSON.parseResult(UnsafeRawBufferPointer($0)) }.get()
    }

    /// Parses one RFC 8259 JSON text from the readable bytes of `buffer` (same as `init(parsing:)`).
    public static func parse(_ buffer: ByteBuffer) throws(JSONParseError) -> JSON {
        try JSON(parsing: buffer)
    }

    private static func parseResult(_ bytes: UnsafeRawBufferPointer) -> Result<JSON, JSONParseError> {
        var scanner = JSONScanner(bytes: bytes)
        return Result { () throws(JSONParseError) in try scanner.parseDocument() }
    }
}

/// A strict RFC 8259 parser over raw bytes. Numbers keep their literal text; object key order is kept.
struct JSONScanner {
    let bytes: UnsafeRawBufferPointer
    var index = 0
    var depth = 0

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    mutating func parseDocument() throws(JSONParseError) -> JSON {
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        guard index == bytes.count else { throw failure("unexpected data after the JSON value") }
        return value
    }

    // MARK: Values

    mutating func parseValue() throws(JSONParseError) -> JSON {
        guard index < bytes.count else { throw failure("unexpected end of input, expected a value") }
        switch bytes[index] {
        case ASCII.openBrace: return .object(try parseObject())
        case ASCII.openBracket: return .array(try parseArray())
        case ASCII.quote: return .string(try parseString())
        case ASCII.t: try expectLiteral("true"); return .bool(true)
        case ASCII.f: try expectLiteral("false"); return .bool(false)
        case ASCII.n: try expectLiteral("null"); return .null
        case ASCII.minus, ASCII.zero...ASCII.nine: return .number(try parseNumber())
        default: throw failure("unexpected character, expected a value")
        }
    }

    /// Room made for the fields or elements of a non-empty container before the first is added: a Phoenix
    /// message has 4–5 of them, a broadcast 3, so most containers are built in one allocation.
    static let initialContainerCapacity = 5

    private mutating func parseObject() throws(JSONParseError) -> JSONObject {
        try enterContainer()
        var fields: [JSONObject.Field] = []
        skipWhitespace()
        if peek() != ASCII.closeBrace { fields.reserveCapacity(Self.initialContainerCapacity) }  // no regrowth from 1
        if peek() == ASCII.closeBrace {
            index += 1
            depth -= 1
            return JSONObject(fields)
        }
        while true {
            let key = try parseMemberKey()
            fields.append(JSONObject.Field(key: key, value: try parseValue()))
            skipWhitespace()
            if try endOfContainer(closing: ASCII.closeBrace, what: "object") { return JSONObject(fields) }
        }
    }

    private mutating func parseArray() throws(JSONParseError) -> [JSON] {
        try enterContainer()
        var elements: [JSON] = []
        skipWhitespace()
        if peek() != ASCII.closeBracket { elements.reserveCapacity(Self.initialContainerCapacity) }
        if peek() == ASCII.closeBracket {
            index += 1
            depth -= 1
            return elements
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue())
            skipWhitespace()
            if try endOfContainer(closing: ASCII.closeBracket, what: "array") { return elements }
        }
    }

    /// Consumes ',' (returns false: more elements follow) or the closing byte (returns true).
    mutating func endOfContainer(closing: UInt8, what: String) throws(JSONParseError) -> Bool {
        guard index < bytes.count else { throw failure("unterminated \(what)") }
        let byte = bytes[index]
        index += 1
        if byte == ASCII.comma { return false }
        if byte == closing {
            depth -= 1
            return true
        }
        index -= 1
        throw failure("expected ',' or '\(Character(Unicode.Scalar(closing)))' in \(what)")
    }

    mutating func enterContainer() throws(JSONParseError) {
        depth += 1
        guard depth <= JSON.maxNestingDepth else {
            throw failure("nesting deeper than \(JSON.maxNestingDepth) levels")
        }
        index += 1
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - index >= count else { throw failure("invalid literal") }
        let start = literal.utf8Start
        for offset in 0..<count where bytes[index + offset] != start[offset] {
            index += offset
            throw failure("invalid literal")
        }
        index += count
    }

    // MARK: Helpers

    /// An object member's key and its colon, with the whitespace around them: the scanner is then at the value.
    mutating func parseMemberKey() throws(JSONParseError) -> String {
        skipWhitespace()
        guard peek() == ASCII.quote else { throw failure("expected a string key in object") }
        let key = try parseString()
        skipWhitespace()
        try expect(ASCII.colon, "expected ':' after object key")
        skipWhitespace()
        return key
    }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case ASCII.space, ASCII.tab, ASCII.lineFeed, ASCII.carriageReturn: index += 1
            default: return
            }
        }
    }

    func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func expect(_ byte: UInt8, _ message: String) throws(JSONParseError) {
        guard peek() == byte else { throw failure(message) }
        index += 1
    }

    func failure(_ reason: String) -> JSONParseError { JSONParseError(reason: reason, offset: index) }
}

/// Byte constants used by the JSON reader and writer.
enum ASCII {
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")
    static let slash = UInt8(ascii: "/")
    static let openBrace = UInt8(ascii: "{")
    static let closeBrace = UInt8(ascii: "}")
    static let openBracket = UInt8(ascii: "[")
    static let closeBracket = UInt8(ascii: "]")
    static let colon = UInt8(ascii: ":")
    static let comma = UInt8(ascii: ",")
    static let minus = UInt8(ascii: "-")
    static let plus = UInt8(ascii: "+")
    static let dot = UInt8(ascii: ".")
    static let zero = UInt8(ascii: "0")
    static let one = UInt8(ascii: "1")
    static let nine = UInt8(ascii: "9")
    static let lowerE = UInt8(ascii: "e")
    static let upperE = UInt8(ascii: "E")
    static let t = UInt8(ascii: "t")
    static let f = UInt8(ascii: "f")
    static let n = UInt8(ascii: "n")
    static let u = UInt8(ascii: "u")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let lineFeed = UInt8(ascii: "\n")
    static let carriageReturn = UInt8(ascii: "\r")
}
