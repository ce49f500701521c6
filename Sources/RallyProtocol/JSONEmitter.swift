import NIOCore

/// Writes bytes into memory reserved up front, with one bounds check per write.
///
/// Frame encoders compute their exact size (`JSONWriter.byteCount`), reserve it once with
/// `ByteBuffer.writeExactly(_:_:)` and emit everything here, avoiding per-byte `ByteBuffer` calls.
struct JSONEmitter {
    private let memory: UnsafeMutableRawBufferPointer
    private(set) var position = 0

    init(_ memory: UnsafeMutableRawBufferPointer) { self.memory = memory }

    // MARK: Raw bytes

    mutating func byte(_ value: UInt8) {
        precondition(position < memory.count, "JSONEmitter: write past the reserved size")
        memory[position] = value
        position += 1
    }

    mutating func bytes(_ source: UnsafeRawBufferPointer) {
        guard !source.isEmpty else { return }
        precondition(memory.count - position >= source.count, "JSONEmitter: write past the reserved size")
        UnsafeMutableRawBufferPointer(rebasing: memory[position..<(position + source.count)]).copyMemory(from: source)
        position += source.count
    }

    mutating func raw(_ text: StaticString) {
        bytes(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// The UTF-8 of `text`, unquoted and unescaped.
    mutating func raw(_ text: String) {
        withUTF8(of: text) { bytes($0) }
    }

    // MARK: JSON

    mutating func value(_ value: JSON) {
        switch value {
        case .null: raw("null")
        case .bool(true): raw("true")
        case .bool(false): raw("false")
        case .number(let literal): raw(literal)
        case .string(let text): string(text)
        case .array(let elements): emitArray(elements)
        case .object(let object): emitObject(object)
        }
    }

    /// `text` quoted and escaped (see `JSONWriter`).
    mutating func string(_ text: String) {
        byte(ASCII.quote)
        withUTF8(of: text) { escaped($0) }
        byte(ASCII.quote)
    }

    private mutating func emitArray(_ elements: [JSON]) {
        byte(ASCII.openBracket)
        for (position, element) in elements.enumerated() {
            if position > 0 { byte(ASCII.comma) }
            value(element)
        }
        byte(ASCII.closeBracket)
    }

    private mutating func emitObject(_ object: JSONObject) {
        byte(ASCII.openBrace)
        for (position, field) in object.fields.enumerated() {
            if position > 0 { byte(ASCII.comma) }
            string(field.key)
            byte(ASCII.colon)
            value(field.value)
        }
        byte(ASCII.closeBrace)
    }

    /// Copies unescaped runs in one move each and escapes the bytes that need it.
    private mutating func escaped(_ utf8: UnsafeRawBufferPointer) {
        var runStart = 0
        while let index = JSONEscaping.firstEscape(in: utf8, from: runStart) {
            bytes(UnsafeRawBufferPointer(rebasing: utf8[runStart..<index]))
            let source = utf8[index]
            if let short = JSONEscaping.shortEscape(for: source) {
                byte(ASCII.backslash)
                byte(short)
            } else {
                raw("\\u00")
                byte(JSONEscaping.hexDigit(source >> 4))
                byte(JSONEscaping.hexDigit(source & 0xF))
            }
            runStart = index + 1
        }
        bytes(UnsafeRawBufferPointer(rebasing: utf8[runStart...]))
    }
}

/// Calls `body` with the UTF-8 bytes of `text`, without copying native strings.
func withUTF8<Result>(of text: String, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
    if let result = text.utf8.withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer($0)) }) {
        return result
    }
    var copy = text
    return copy.withUTF8 { body(UnsafeRawBufferPointer($0)) }
}

/// The escaping rules shared by the emitter and the size computation.
enum JSONEscaping {
    static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == ASCII.quote || byte == ASCII.backslash
    }

    /// The index of the first byte at or after `start` that needs escaping, scanning 8 bytes per step.
    static func firstEscape(in utf8: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var index = start
        while utf8.count - index >= 8 {
            let word = utf8.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            if wordNeedsEscape(word) { break }
            index += 8
        }
        while index < utf8.count {
            if needsEscape(utf8[index]) { return index }
            index += 1
        }
        return nil
    }

    /// True when any byte of `word` is a control character, `"` or `\` (exact, no false negatives).
    private static func wordNeedsEscape(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highBits: UInt64 = 0x8080_8080_8080_8080
        func hasZeroByte(_ value: UInt64) -> Bool { (value &- ones) & ~value & highBits != 0 }
        let hasControl = (word &- ones &* 0x20) & ~word & highBits != 0
        let hasQuote = hasZeroByte(word ^ (ones &* UInt64(ASCII.quote)))
        let hasBackslash = hasZeroByte(word ^ (ones &* UInt64(ASCII.backslash)))
        return hasControl || hasQuote || hasBackslash
    }

    /// The byte after the backslash for two-character escapes; nil when `\u00XX` is used.
    static func shortEscape(for byte: UInt8) -> UInt8? {
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

    static func escapedLength(of byte: UInt8) -> Int { shortEscape(for: byte) == nil ? 6 : 2 }

    static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? ASCII.zero + nibble : UInt8(ascii: "a") + nibble - 10
    }
}

extension ByteBuffer {
    /// A new buffer of exactly `size` bytes filled by `body`.
    static func emitting(_ size: Int, _ body: (inout JSONEmitter) -> Void) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: size)
        buffer.writeExactly(size, body)
        return buffer
    }

    /// Reserves exactly `size` bytes, lets `body` emit them and checks that it wrote all of them.
    mutating func writeExactly(_ size: Int, _ body: (inout JSONEmitter) -> Void) {
        writeWithUnsafeMutableBytes(minimumWritableBytes: size) { memory in
            var emitter = JSONEmitter(UnsafeMutableRawBufferPointer(rebasing: memory[0..<size]))
            body(&emitter)
            precondition(emitter.position == size, "JSONEmitter: wrote \(emitter.position) of \(size) reserved bytes")
            return size
        }
    }
}
