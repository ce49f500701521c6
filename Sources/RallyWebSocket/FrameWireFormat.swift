// RFC 6455 §5.2 base framing: reading client frame headers, (un)masking, writing server frames.
import NIOCore

/// The opcodes RFC 6455 defines; anything else is reserved and fails the connection.
enum FrameOpcode {
    static let continuation: UInt8 = 0x0
    static let text: UInt8 = 0x1
    static let binary: UInt8 = 0x2
    static let close: UInt8 = 0x8
    static let ping: UInt8 = 0x9
    static let pong: UInt8 = 0xA

    static func isKnown(_ opcode: UInt8) -> Bool {
        opcode <= binary || (opcode >= close && opcode <= pong)
    }
}

/// One parsed frame header. `maskingKey` holds the four key bytes big-endian (first key byte highest).
struct FrameHeader: Equatable {
    var fin: Bool
    var rsv1: Bool
    var rsv2: Bool
    var rsv3: Bool
    var opcode: UInt8
    var maskingKey: UInt32?
    var payloadLength: UInt64

    var isControl: Bool { self.opcode & 0x08 != 0 }

    /// Reads a complete header from the front of `buffer`; returns nil and consumes nothing if the
    /// buffer does not yet hold all of it.
    static func read(from buffer: inout ByteBuffer) -> FrameHeader? {
        let start = buffer.readerIndex
        guard let first = buffer.getInteger(at: start, as: UInt8.self),
            let second = buffer.getInteger(at: start + 1, as: UInt8.self)
        else { return nil }
        var cursor = start + 2
        var length = UInt64(second & 0x7F)
        if length == 126 {
            guard let word = buffer.getInteger(at: cursor, as: UInt16.self) else { return nil }
            length = UInt64(word)
            cursor += 2
        } else if length == 127 {
            guard let qword = buffer.getInteger(at: cursor, as: UInt64.self) else { return nil }
            length = qword
            cursor += 8
        }
        var key: UInt32? = nil
        if second & 0x80 != 0 {
            guard let maskingKey = buffer.getInteger(at: cursor, as: UInt32.self) else { return nil }
            key = maskingKey
            cursor += 4
        }
        buffer.moveReaderIndex(to: cursor)
        return FrameHeader(
            fin: first & 0x80 != 0, rsv1: first & 0x40 != 0, rsv2: first & 0x20 != 0, rsv3: first & 0x10 != 0,
            opcode: first & 0x0F, maskingKey: key, payloadLength: length
        )
    }
}

/// The masking transform (its own inverse), applied in place with 8-byte words.
enum FrameMask {
    /// XORs `bytes` with the key, starting at key position `offset` (payload bytes already unmasked).
    static func apply(key: UInt32, offset: Int, to bytes: UnsafeMutableRawBufferPointer) {
        let phase = offset & 3
        var wide: UInt64 = 0
        for i in 0..<8 {
            wide |= UInt64(keyByte(key, (phase + i) & 3)) << (8 * i)
        }
        var index = 0
        let count = bytes.count
        while index + 8 <= count {
            let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            bytes.storeBytes(of: (word ^ wide).littleEndian, toByteOffset: index, as: UInt64.self)
            index += 8
        }
        while index < count {
            bytes[index] ^= keyByte(key, (phase + index) & 3)
            index += 1
        }
    }

    /// Unmasks the readable bytes of `buffer` in place.
    static func apply(key: UInt32, offset: Int, to buffer: inout ByteBuffer) {
        buffer.withUnsafeMutableReadableBytes { apply(key: key, offset: offset, to: $0) }
    }

    @inline(__always)
    private static func keyByte(_ key: UInt32, _ position: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: key >> (24 - 8 * position))
    }
}

/// Writes unmasked server frames.
enum FrameEncoder {
    /// The largest header a server frame can have (2 + 8 bytes of extended length).
    static let maxHeaderLength = 10

    static func headerLength(payloadLength: Int) -> Int {
        payloadLength < 126 ? 2 : (payloadLength <= Int(UInt16.max) ? 4 : 10)
    }

    static func writeHeader(opcode: UInt8, rsv1: Bool, payloadLength: Int, into buffer: inout ByteBuffer) {
        buffer.writeInteger(0x80 | (rsv1 ? 0x40 : 0) | opcode, as: UInt8.self)
        if payloadLength < 126 {
            buffer.writeInteger(UInt8(payloadLength))
        } else if payloadLength <= Int(UInt16.max) {
            buffer.writeInteger(UInt8(126))
            buffer.writeInteger(UInt16(payloadLength))
        } else {
            buffer.writeInteger(UInt8(127))
            buffer.writeInteger(UInt64(payloadLength))
        }
    }

    /// A complete single (FIN) frame: header and a copy of `payload`'s readable bytes.
    static func frame(opcode: UInt8, rsv1: Bool = false, payload: ByteBuffer) -> ByteBuffer {
        let length = payload.readableBytes
        var frame = ByteBuffer()
        frame.reserveCapacity(headerLength(payloadLength: length) + length)
        writeHeader(opcode: opcode, rsv1: rsv1, payloadLength: length, into: &frame)
        var body = payload
        frame.writeBuffer(&body)
        return frame
    }

    /// A close frame; `code` nil sends an empty body. The reason is truncated to fit 125 bytes on a
    /// character boundary.
    static func closeFrame(code: UInt16?, reason: String) -> ByteBuffer {
        var payload = ByteBuffer()
        if let code {
            payload.writeInteger(code)
            var fitting = String.UnicodeScalarView()
            var byteCount = 0
            for scalar in reason.unicodeScalars {
                byteCount += scalar.utf8.count
                if byteCount > 123 { break }
                fitting.append(scalar)
            }
            payload.writeString(String(fitting))
        }
        return frame(opcode: FrameOpcode.close, payload: payload)
    }
}
