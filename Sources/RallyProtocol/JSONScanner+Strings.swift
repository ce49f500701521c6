// Strings and numbers for `JSONScanner`.

extension JSONScanner {
    // MARK: Strings

    /// Parses a string starting at its opening quote. Unescaped strings are built straight from the input.
    mutating func parseString() throws(JSONParseError) -> String {
        index += 1
        let start = index
        var sawNonASCII = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte == ASCII.quote {
                let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
                if sawNonASCII, !UTF8Validation.isValid(raw) {
                    throw JSONParseError(reason: "invalid UTF-8 in string", offset: start)
                }
                index += 1
                return ProtocolWords.word(raw) ?? String(decoding: raw, as: UTF8.self)
            }
            if byte == ASCII.backslash { return try parseEscapedString(from: start) }
            if byte < 0x20 { throw failure("unescaped control character in string") }
            if byte >= 0x80 { sawNonASCII = true }
            index += 1
        }
        throw failure("unterminated string")
    }

    /// Slow path: the string from `start` contains escapes. `index` points at the first backslash.
    private mutating func parseEscapedString(from start: Int) throws(JSONParseError) -> String {
        var utf8 = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case ASCII.quote:
                guard UTF8Validation.isValid(utf8) else {
                    throw JSONParseError(reason: "invalid UTF-8 in string", offset: start)
                }
                index += 1
                return String(decoding: utf8, as: UTF8.self)
            case ASCII.backslash:
                try appendEscape(to: &utf8)
            case 0..<0x20:
                throw failure("unescaped control character in string")
            default:
                utf8.append(byte)
                index += 1
            }
        }
        throw failure("unterminated string")
    }

    /// Decodes one escape sequence at `index` (a backslash) and appends its UTF-8 bytes.
    private mutating func appendEscape(to utf8: inout [UInt8]) throws(JSONParseError) {
        guard index + 1 < bytes.count else { throw failure("unterminated escape sequence") }
        let escaped = bytes[index + 1]
        switch escaped {
        case ASCII.quote, ASCII.backslash, ASCII.slash: utf8.append(escaped)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(ASCII.lineFeed)
        case UInt8(ascii: "r"): utf8.append(ASCII.carriageReturn)
        case UInt8(ascii: "t"): utf8.append(ASCII.tab)
        case ASCII.u:
            Self.appendUTF8(try parseUnicodeEscape(), to: &utf8)
            return
        default:
            throw failure("invalid escape sequence")
        }
        index += 2
    }

    /// Parses `\uXXXX` (and its low-surrogate partner for characters outside the BMP).
    private mutating func parseUnicodeEscape() throws(JSONParseError) -> UInt32 {
        let first = try readHexQuad()
        switch first {
        case 0xD800...0xDBFF:
            guard bytes.count - index >= 2, bytes[index] == ASCII.backslash, bytes[index + 1] == ASCII.u else {
                throw failure("lone high surrogate in \\u escape")
            }
            let second = try readHexQuad()
            guard (0xDC00...0xDFFF).contains(second) else { throw failure("invalid low surrogate in \\u escape") }
            return 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        case 0xDC00...0xDFFF:
            throw failure("lone low surrogate in \\u escape")
        default:
            return first
        }
    }

    /// Appends the UTF-8 encoding of a code point that is known to be a valid scalar.
    private static func appendUTF8(_ scalar: UInt32, to utf8: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            utf8.append(UInt8(scalar))
        case 0x80..<0x800:
            utf8.append(UInt8(0xC0 | scalar >> 6))
            utf8.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            utf8.append(UInt8(0xE0 | scalar >> 12))
            utf8.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            utf8.append(UInt8(0x80 | scalar & 0x3F))
        default:
            utf8.append(UInt8(0xF0 | scalar >> 18))
            utf8.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            utf8.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            utf8.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// Reads `\uXXXX` at `index` and returns the 16-bit value.
    private mutating func readHexQuad() throws(JSONParseError) -> UInt32 {
        guard bytes.count - index >= 6 else { throw failure("truncated \\u escape") }
        var value: UInt32 = 0
        for offset in 2..<6 {
            guard let digit = Self.hexValue(bytes[index + offset]) else {
                throw failure("invalid hex digit in \\u escape")
            }
            value = value << 4 | digit
        }
        index += 6
        return value
    }

    private static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case ASCII.zero...ASCII.nine: return UInt32(byte - ASCII.zero)
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(byte - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    // MARK: Numbers

    /// Validates `-? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?` and returns its literal text.
    mutating func parseNumber() throws(JSONParseError) -> String {
        let start = index
        try skipNumber()
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
    }

    /// Validates a number as `parseNumber` does and moves past it.
    mutating func skipNumber() throws(JSONParseError) {
        if peek() == ASCII.minus { index += 1 }
        guard let leading = peek(), isDigit(leading) else { throw failure("expected a digit in number") }
        index += 1
        if leading == ASCII.zero, let next = peek(), isDigit(next) {
            throw failure("leading zeros are not allowed in numbers")
        }
        skipDigits()
        if peek() == ASCII.dot {
            index += 1
            try requireDigits("expected a digit after the decimal point")
        }
        if peek() == ASCII.lowerE || peek() == ASCII.upperE {
            index += 1
            if peek() == ASCII.plus || peek() == ASCII.minus { index += 1 }
            try requireDigits("expected a digit in the exponent")
        }
    }

    private mutating func requireDigits(_ message: String) throws(JSONParseError) {
        guard let byte = peek(), isDigit(byte) else { throw failure(message) }
        skipDigits()
    }

    private mutating func skipDigits() {
        while index < bytes.count, isDigit(bytes[index]) { index += 1 }
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= ASCII.zero && byte <= ASCII.nine }
}

/// Strict UTF-8 validation (no overlongs, no surrogates, nothing above U+10FFFF).
enum UTF8Validation {
    static func isValid<Bytes: RandomAccessCollection>(_ bytes: Bytes) -> Bool
    where Bytes.Element == UInt8, Bytes.Index == Int {
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            guard let length = sequenceLength(bytes, at: index) else { return false }
            index += length
        }
        return true
    }

    /// The length of the valid multi-byte sequence starting at `index`, or nil.
    private static func sequenceLength<Bytes: RandomAccessCollection>(_ bytes: Bytes, at index: Int) -> Int?
    where Bytes.Element == UInt8, Bytes.Index == Int {
        let lead = bytes[index]
        let (length, secondRange): (Int, ClosedRange<UInt8>)
        switch lead {
        case 0xC2...0xDF: (length, secondRange) = (2, 0x80...0xBF)
        case 0xE0: (length, secondRange) = (3, 0xA0...0xBF)
        case 0xE1...0xEC, 0xEE...0xEF: (length, secondRange) = (3, 0x80...0xBF)
        case 0xED: (length, secondRange) = (3, 0x80...0x9F)
        case 0xF0: (length, secondRange) = (4, 0x90...0xBF)
        case 0xF1...0xF3: (length, secondRange) = (4, 0x80...0xBF)
        case 0xF4: (length, secondRange) = (4, 0x80...0x8F)
        default: return nil
        }
        guard bytes.endIndex - index >= length, secondRange.contains(bytes[index + 1]) else { return nil }
        for offset in 2..<length where bytes[index + offset] & 0xC0 != 0x80 { return nil }
        return length
    }
}

/// The protocol's own keys and event names, which every frame repeats: a string with exactly these bytes is the
/// literal (an immediate small string) instead of one decoded and validated from the input again. Any other string,
/// and any with escapes, is decoded as before; the value is the same either way.
enum ProtocolWords {
    static func word(_ raw: UnsafeRawBufferPointer) -> String? {
        switch raw.count {
        case 3: return raw.is("ref") ? "ref" : nil
        case 4: return raw.is("type") ? "type" : nil
        case 5: return raw.is("topic") ? "topic" : raw.is("event") ? "event" : nil
        case 6: return raw.is("config") ? "config" : nil
        case 7: return raw.is("payload") ? "payload" : raw.is("phoenix") ? "phoenix" : nil
        case 8:
            return raw.is("join_ref") ? "join_ref" : raw.is("presence") ? "presence"
                : raw.is("phx_join") ? "phx_join" : nil
        case 9:
            return raw.is("broadcast") ? "broadcast" : raw.is("heartbeat") ? "heartbeat"
                : raw.is("phx_leave") ? "phx_leave" : nil
        default: return nil
        }
    }
}

extension UnsafeRawBufferPointer {
    /// Whether these bytes are `word`'s (the caller checked the length).
    fileprivate func `is`(_ word: StaticString) -> Bool {
        let start = word.utf8Start
        for offset in 0..<count where self[offset] != start[offset] { return false }
        return true
    }
}
