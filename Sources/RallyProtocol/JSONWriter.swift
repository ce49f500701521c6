import NIOCore

/// Compact JSON output straight into a `ByteBuffer`.
///
/// Strings escape `"` and `\`, write `\b \f \n \r \t` in their short forms and every other control
/// character as `\u00XX`; non-ASCII text is kept as UTF-8. Numbers are written as their literal text.
/// `byteCount(of:)` gives the exact output size so callers can size a buffer once.
public enum JSONWriter {
    /// Appends the compact serialization of `value` to `buffer`.
    public static func write(_ value: JSON, into buffer: inout ByteBuffer) {
        switch value {
        case .null: buffer.writeStaticString("null")
        case .bool(true): buffer.writeStaticString("true")
        case .bool(false): buffer.writeStaticString("false")
        case .number(let literal): buffer.writeString(literal)
        case .string(let text): writeString(text, into: &buffer)
        case .array(let elements): writeArray(elements, into: &buffer)
        case .object(let object): writeObject(object, into: &buffer)
        }
    }

    /// Appends `text` as a quoted, escaped JSON string.
    public static func writeString(_ text: String, into buffer: inout ByteBuffer) {
        var text = text
        text.withUTF8 { utf8 in
            buffer.writeInteger(ASCII.quote)
            writeEscaped(UnsafeRawBufferPointer(utf8), into: &buffer)
            buffer.writeInteger(ASCII.quote)
        }
    }

    /// The exact number of bytes `write(_:into:)` produces for `value`.
    public static func byteCount(of value: JSON) -> Int {
        switch value {
        case .null: return 4
        case .bool(let flag): return flag ? 4 : 5
        case .number(let literal): return literal.utf8.count
        case .string(let text): return byteCount(ofString: text)
        case .array(let elements):
            let contents = elements.reduce(0) { $0 + byteCount(of: $1) }
            return 2 + contents + max(elements.count - 1, 0)
        case .object(let object):
            let contents = object.fields.reduce(0) { $0 + byteCount(ofString: $1.key) + 1 + byteCount(of: $1.value) }
            return 2 + contents + max(object.fields.count - 1, 0)
        }
    }

    /// The exact number of bytes `writeString(_:into:)` produces for `text`, quotes included.
    public static func byteCount(ofString text: String) -> Int {
        var text = text
        return text.withUTF8 { utf8 in
            var count = utf8.count + 2
            for byte in utf8 where byte < 0x20 || byte == ASCII.quote || byte == ASCII.backslash {
                count += escapedLength(of: byte) - 1
            }
            return count
        }
    }

    // MARK: Containers

    private static func writeArray(_ elements: [JSON], into buffer: inout ByteBuffer) {
        buffer.writeInteger(ASCII.openBracket)
        for (position, element) in elements.enumerated() {
            if position > 0 { buffer.writeInteger(ASCII.comma) }
            write(element, into: &buffer)
        }
        buffer.writeInteger(ASCII.closeBracket)
    }

    private static func writeObject(_ object: JSONObject, into buffer: inout ByteBuffer) {
        buffer.writeInteger(ASCII.openBrace)
        for (position, field) in object.fields.enumerated() {
            if position > 0 { buffer.writeInteger(ASCII.comma) }
            writeString(field.key, into: &buffer)
            buffer.writeInteger(ASCII.colon)
            write(field.value, into: &buffer)
        }
        buffer.writeInteger(ASCII.closeBrace)
    }

    // MARK: Escaping

    /// Writes `utf8` escaped, copying unescaped runs in one call each.
    private static func writeEscaped(_ utf8: UnsafeRawBufferPointer, into buffer: inout ByteBuffer) {
        var runStart = 0
        for index in utf8.indices {
            let byte = utf8[index]
            guard byte < 0x20 || byte == ASCII.quote || byte == ASCII.backslash else { continue }
            if runStart < index { buffer.writeBytes(UnsafeRawBufferPointer(rebasing: utf8[runStart..<index])) }
            writeEscape(for: byte, into: &buffer)
            runStart = index + 1
        }
        if runStart < utf8.count { buffer.writeBytes(UnsafeRawBufferPointer(rebasing: utf8[runStart...])) }
    }

    /// The byte after the backslash for the two-character escapes, nil for `\u00XX`.
    private static func shortEscape(for byte: UInt8) -> UInt8? {
        switch byte {
        case ASCII.quote, ASCII.backslash: return byte
        case 0x08: return UInt8(ascii: "b")
        case 0x0C: return UInt8(ascii: "f")
        case ASCII.lineFeed: return UInt8(ascii: "n")
        case ASCII.carriageReturn: return UInt8(ascii: "r")
        case ASCII.tab: return UInt8(ascii: "t")
        default: return nil
        }
    }

    private static func escapedLength(of byte: UInt8) -> Int { shortEscape(for: byte) == nil ? 6 : 2 }

    private static func writeEscape(for byte: UInt8, into buffer: inout ByteBuffer) {
        if let short = shortEscape(for: byte) {
            buffer.writeMultipleIntegers(ASCII.backslash, short)
        } else {
            buffer.writeMultipleIntegers(ASCII.backslash, ASCII.u, ASCII.zero, ASCII.zero, hexDigit(byte >> 4), hexDigit(byte & 0xF))
        }
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? ASCII.zero + nibble : UInt8(ascii: "a") + nibble - 10
    }
}

extension JSON {
    /// The compact serialization in a buffer sized exactly.
    public func serializedBuffer(allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: JSONWriter.byteCount(of: self))
        JSONWriter.write(self, into: &buffer)
        return buffer
    }

    /// The compact serialization as a string.
    public func serializedString() -> String {
        String(buffer: serializedBuffer())
    }
}
