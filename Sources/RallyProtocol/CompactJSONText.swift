import NIOCore

/// A JSON value kept as its text: valid (checked as `JSON(parsing:)` checks it, nesting bound included) and already
/// in the compact form `JSONWriter` writes for it, so copying the bytes writes the same as encoding the tree. A
/// broadcast's user payload travels so from the client's frame to the outgoing frame without being built into a
/// tree and written back out; `value` builds the tree when something has to look inside.
public struct CompactJSONText: Sendable, Equatable {
    /// The value's bytes and nothing else.
    public let bytes: ByteBuffer

    /// `bytes` must be one JSON value in compact form (`isCompactJSON`); the scanner that found it checked that.
    init(validated bytes: ByteBuffer) { self.bytes = bytes }

    /// The text of `bytes` when it is one valid JSON value in compact form; nil otherwise.
    public init?(_ bytes: ByteBuffer) {
        let compact = bytes.withUnsafeReadableBytes { raw -> Bool in
            var scanner = JSONScanner(bytes: raw)
            guard let isCompact = try? scanner.skipValue(), scanner.index == raw.count else { return false }
            return isCompact
        }
        guard compact else { return nil }
        self.bytes = bytes
    }

    /// The value as a tree (parsed again; it cannot fail: the text was validated).
    public var value: JSON { (try? JSON(parsing: bytes)) ?? .null }

    public var byteCount: Int { bytes.readableBytes }
}

extension JSONScanner {
    /// Checks the value at `index` exactly as `parseValue` does (same rules, same nesting bound, same errors) without
    /// building it, and moves past it. Returns whether its text is already what `JSONWriter` writes for it: no
    /// whitespace, and in strings only the escapes the writer uses (`\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, and
    /// `\u00xx` in lower case for the other control characters).
    mutating func skipValue() throws(JSONParseError) -> Bool {
        guard index < bytes.count else { throw failure("unexpected end of input, expected a value") }
        switch bytes[index] {
        case ASCII.openBrace: return try skipContainer(closing: ASCII.closeBrace, keyed: true)
        case ASCII.openBracket: return try skipContainer(closing: ASCII.closeBracket, keyed: false)
        case ASCII.quote: return try skipString()
        case ASCII.t: try expectLiteral("true"); return true
        case ASCII.f: try expectLiteral("false"); return true
        case ASCII.n: try expectLiteral("null"); return true
        case ASCII.minus, ASCII.zero...ASCII.nine: try skipNumber(); return true
        default: throw failure("unexpected character, expected a value")
        }
    }

    /// An object (`keyed`) or an array, as `parseObject` / `parseArray` read it.
    private mutating func skipContainer(closing: UInt8, keyed: Bool) throws(JSONParseError) -> Bool {
        let what = keyed ? "object" : "array"
        try enterContainer()
        var compact = skipSpace()
        if peek() == closing {
            index += 1
            depth -= 1
            return compact
        }
        while true {
            compact = skipSpace() && compact
            if keyed {
                guard peek() == ASCII.quote else { throw failure("expected a string key in object") }
                compact = try skipString() && compact
                compact = skipSpace() && compact
                try expect(ASCII.colon, "expected ':' after object key")
                compact = skipSpace() && compact
            }
            compact = try skipValue() && compact
            compact = skipSpace() && compact
            if try endOfContainer(closing: closing, what: what) { return compact }
        }
    }

    /// Skips whitespace; true when there was none.
    private mutating func skipSpace() -> Bool {
        let start = index
        skipWhitespace()
        return index == start
    }

    /// A string: the plain ones are scanned here; one with escapes is read by `parseString` (which checks every
    /// escape and the UTF-8) and then its escapes are compared with the writer's.
    private mutating func skipString() throws(JSONParseError) -> Bool {
        let open = index
        var position = index + 1
        var sawNonASCII = false
        while position < bytes.count {
            let byte = bytes[position]
            if byte == ASCII.quote {
                let inside = UnsafeRawBufferPointer(rebasing: bytes[(open + 1)..<position])
                if sawNonASCII, !UTF8Validation.isValid(inside) {
                    throw JSONParseError(reason: "invalid UTF-8 in string", offset: open + 1)
                }
                index = position + 1
                return true
            }
            if byte == ASCII.backslash {
                _ = try parseString()
                return Self.hasWriterEscapes(UnsafeRawBufferPointer(rebasing: bytes[(open + 1)..<(index - 1)]))
            }
            if byte < 0x20 {
                index = position
                throw failure("unescaped control character in string")
            }
            if byte >= 0x80 { sawNonASCII = true }
            position += 1
        }
        index = position
        throw failure("unterminated string")
    }

    /// True when every escape in `text` (a valid string's inside) is the one `JSONEscaping` writes for its character.
    private static func hasWriterEscapes(_ text: UnsafeRawBufferPointer) -> Bool {
        var position = 0
        while position < text.count {
            guard text[position] == ASCII.backslash else {
                position += 1
                continue
            }
            let escaped = text[position + 1]
            guard escaped == ASCII.u else {
                if escaped == ASCII.slash { return false }
                position += 2
                continue
            }
            guard let high = lowerHexValue(text[position + 4]), let low = lowerHexValue(text[position + 5]),
                  text[position + 2] == ASCII.zero, text[position + 3] == ASCII.zero,
                  high < 2, JSONEscaping.shortEscape(for: high << 4 | low) == nil else { return false }
            position += 6
        }
        return true
    }

    private static func lowerHexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case ASCII.zero...ASCII.nine: return byte - ASCII.zero
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        default: return nil
        }
    }
}
