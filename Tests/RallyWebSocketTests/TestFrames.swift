// Test helpers: client frames as a peer would send them, and server frames parsed back.
import CZlib
import NIOCore
import XCTest

@testable import RallyWebSocket

/// Builds masked client frames byte by byte, including ones that break the protocol on purpose.
struct ClientFrame {
    var opcode: UInt8
    var payload: [UInt8]
    var fin = true
    var rsv1 = false
    var rsv2 = false
    var rsv3 = false
    var maskingKey: [UInt8]? = [0x37, 0xFA, 0x21, 0x3D]

    static func text(_ text: String, fin: Bool = true) -> ClientFrame {
        ClientFrame(opcode: 0x1, payload: Array(text.utf8), fin: fin)
    }

    static func close(code: UInt16?, reason: [UInt8] = []) -> ClientFrame {
        var body: [UInt8] = []
        if let code { body = [UInt8(code >> 8), UInt8(code & 0xFF)] + reason }
        return ClientFrame(opcode: 0x8, payload: body)
    }

    var bytes: [UInt8] {
        var out: [UInt8] = [
            (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | (rsv2 ? 0x20 : 0) | (rsv3 ? 0x10 : 0) | opcode
        ]
        let maskBit: UInt8 = maskingKey == nil ? 0 : 0x80
        if payload.count < 126 {
            out.append(maskBit | UInt8(payload.count))
        } else if payload.count <= 0xFFFF {
            out.append(maskBit | 126)
            out += [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            out.append(maskBit | 127)
            out += (0..<8).reversed().map { UInt8(truncatingIfNeeded: payload.count >> (8 * $0)) }
        }
        guard let key = maskingKey else { return out + payload }
        return out + key + payload.enumerated().map { $0.element ^ key[$0.offset % 4] }
    }

    var buffer: ByteBuffer { ByteBuffer(bytes: self.bytes) }
}

/// A frame the server wrote.
struct ServerFrame: Equatable {
    var fin: Bool
    var rsv1: Bool
    var opcode: UInt8
    var payload: [UInt8]

    var closeCode: UInt16? {
        guard opcode == 0x8, payload.count >= 2 else { return nil }
        return UInt16(payload[0]) << 8 | UInt16(payload[1])
    }

    var text: String { String(decoding: payload, as: UTF8.self) }

    /// Parses every complete frame in `buffer`; server frames must be unmasked.
    static func parseAll(_ buffer: ByteBuffer) -> [ServerFrame] {
        var buffer = buffer
        var frames: [ServerFrame] = []
        while let header = FrameHeader.read(from: &buffer) {
            precondition(header.maskingKey == nil, "server frames must not be masked")
            guard let payload = buffer.readBytes(length: Int(header.payloadLength)) else { break }
            frames.append(ServerFrame(fin: header.fin, rsv1: header.rsv1, opcode: header.opcode, payload: payload))
        }
        return frames
    }
}

/// A raw-deflate compressor that keeps its window between messages, like a client with context takeover.
final class ClientDeflater {
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)

    init(windowBits: Int32 = 15) {
        stream.initialize(to: z_stream())
        precondition(rally_deflateInit2(stream, 6, -windowBits, 8) == Z_OK)
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    /// Compressed message body (sync flush, tail removed), as RFC 7692 §7.2.1 sends it.
    func compress(_ bytes: [UInt8]) -> [UInt8] {
        var input = bytes
        var output = [UInt8](repeating: 0, count: bytes.count + 64)
        let produced = input.withUnsafeMutableBufferPointer { inPtr in
            output.withUnsafeMutableBufferPointer { outPtr -> Int in
                stream.pointee.next_in = inPtr.baseAddress
                stream.pointee.avail_in = uInt(inPtr.count)
                stream.pointee.next_out = outPtr.baseAddress
                stream.pointee.avail_out = uInt(outPtr.count)
                precondition(deflate(stream, Z_SYNC_FLUSH) == Z_OK)
                return outPtr.count - Int(stream.pointee.avail_out)
            }
        }
        precondition(Array(output[produced - 4..<produced]) == [0, 0, 0xFF, 0xFF])
        return Array(output[..<(produced - 4)])
    }
}

/// Inflates a server message body (appending the tail RFC 7692 §7.2.2 removed).
func inflateServerMessage(_ body: [UInt8], windowBits: Int = 15) throws -> [UInt8] {
    let inflater = try MessageInflater(windowBits: windowBits)
    var output = ByteBuffer()
    try (body + [0, 0, 0xFF, 0xFF]).withUnsafeBytes { try inflater.inflate($0, into: &output, limit: 1 << 26) }
    return Array(output.readableBytesView)
}

extension ByteBuffer {
    var bytes: [UInt8] { Array(self.readableBytesView) }
}
