import NIOCore

/// Compact JSON output straight into a `ByteBuffer`.
///
/// Strings escape `"` and `\`, write `\b \f \n \r \t` in their short forms and every other control
/// character as `\u00XX`; non-ASCII text is kept as UTF-8 and `/` is not escaped. Numbers are written
/// as their literal text, object fields in their stored order. `byteCount(of:)` gives the exact output
/// size; the writers use it to reserve space once and then copy bytes without per-byte buffer calls.
public enum JSONWriter {
    /// Appends the compact serialization of `value` to `buffer`.
    public static func write(_ value: JSON, into buffer: inout ByteBuffer) {
        buffer.writeExactly(byteCount(of: value)) { $0.value(value) }
    }

    /// Appends `text` as a quoted, escaped JSON string.
    public static func writeString(_ text: String, into buffer: inout ByteBuffer) {
        buffer.writeExactly(byteCount(ofString: text)) { $0.string(text) }
    }

    /// The exact number of bytes `write(_:into:)` produces for `value`.
    public static func byteCount(of value: JSON) -> Int {
        switch value {
        case .null: return 4
        case .bool(let flag): return flag ? 4 : 5
        case .number(let literal): return literal.utf8.count
        case .string(let text): return byteCount(ofString: text)
        case .array(let elements):
            var count = 2 + max(elements.count - 1, 0)
            for element in elements { count += byteCount(of: element) }
            return count
        case .object(let object):
            var count = 2 + max(object.fields.count - 1, 0)
            for field in object.fields { count += byteCount(ofString: field.key) + 1 + byteCount(of: field.value) }
            return count
        }
    }

    /// The exact number of bytes `writeString(_:into:)` produces for `text`, quotes included.
    public static func byteCount(ofString text: String) -> Int {
        withUTF8(of: text) { utf8 in
            var count = utf8.count + 2
            var next = 0
            while let index = JSONEscaping.firstEscape(in: utf8, from: next) {
                count += JSONEscaping.escapedLength(of: utf8[index]) - 1
                next = index + 1
            }
            return count
        }
    }
}

extension JSON {
    /// The compact serialization in a buffer sized exactly.
    public func serializedBuffer(allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        let size = JSONWriter.byteCount(of: self)
        var buffer = allocator.buffer(capacity: size)
        buffer.writeExactly(size) { $0.value(self) }
        return buffer
    }

    /// Appends the compact serialization to `buffer` (same as `JSONWriter.write(_:into:)`).
    public func write(to buffer: inout ByteBuffer) {
        JSONWriter.write(self, into: &buffer)
    }

    /// The exact size of the compact serialization, in bytes.
    public var encodedByteCount: Int { JSONWriter.byteCount(of: self) }

    /// The compact serialization as a string.
    public func serializedString() -> String {
        String(buffer: serializedBuffer())
    }
}
