import NIOCore
import RallyProtocol

/// The binary form between Rally nodes (version 1):
///
/// ```
/// u8 0xB1 (magic and version) · u8 kind · u8 flags (bit0 binary payload, bit1 prefer binary)
/// u64 origin · u64 sequence · u64 previous · u64 sent-at µs
/// u16 topic length, topic · u16 event length, event · u16 sender length, sender (0: none)
/// u32 meta length, meta JSON (0: none) · payload (JSON text or raw bytes) to the end
/// ```
///
/// A message that starts with `{` is the JSON form for backend services (`ServiceMessage`).
extension BusMessage {
    static let magic: UInt8 = 0xB1
    /// The largest message a node accepts from the bus (a broadcast's payload is bounded far below this).
    public static let maxWireBytes = 4 << 20

    public enum WireError: Error, Equatable, Sendable {
        case tooLarge(Int)
        case truncated
        case unknownMagic(UInt8)
        case unknownKind(UInt8)
        case invalidText
        case invalidJSON
    }

    public func encode(allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var out = allocator.buffer(capacity: 64 + topic.utf8.count + event.utf8.count + payloadByteCount)
        out.writeInteger(Self.magic)
        out.writeInteger(kind.rawValue)
        out.writeInteger(flags)
        for value in [origin, sequence, previous, sentAtMicros] { out.writeInteger(value) }
        Self.writeShortText(topic, into: &out)
        Self.writeShortText(event, into: &out)
        Self.writeShortText(senderUser ?? "", into: &out)
        if let meta, !meta.isNull {
            let bytes = meta.serializedBuffer()
            out.writeInteger(UInt32(bytes.readableBytes))
            out.writeImmutableBuffer(bytes)
        } else {
            out.writeInteger(UInt32(0))
        }
        switch payload {
        case .json(let value): value.write(to: &out)
        case .jsonText(let text): out.writeImmutableBuffer(text.bytes)
        case .binary(let bytes): out.writeImmutableBuffer(bytes)
        }
        return out
    }

    /// Decodes the binary form; every length is checked against what is left, so hostile bytes cannot make it
    /// read past the end or allocate more than the message's own size.
    public static func decode(_ input: ByteBuffer) throws(WireError) -> BusMessage {
        guard input.readableBytes <= maxWireBytes else { throw .tooLarge(input.readableBytes) }
        var bytes = input
        guard let magic = bytes.readInteger(as: UInt8.self) else { throw .truncated }
        guard magic == Self.magic else { throw .unknownMagic(magic) }
        guard let rawKind = bytes.readInteger(as: UInt8.self), let flags = bytes.readInteger(as: UInt8.self),
              let origin = bytes.readInteger(as: UInt64.self), let sequence = bytes.readInteger(as: UInt64.self),
              let previous = bytes.readInteger(as: UInt64.self), let sentAt = bytes.readInteger(as: UInt64.self)
        else { throw .truncated }
        guard let kind = Kind(rawValue: rawKind) else { throw .unknownKind(rawKind) }
        let topic = try readShortText(&bytes)
        let event = try readShortText(&bytes)
        let sender = try readShortText(&bytes)
        let meta = try readMeta(&bytes)
        let payload: BroadcastPayload
        if flags & 1 != 0 {
            payload = .binary(bytes)
        } else {
            do { payload = .json(try JSON.parse(bytes)) } catch { throw .invalidJSON }
        }
        return BusMessage(kind: kind, origin: origin, sequence: sequence, previous: previous, sentAtMicros: sentAt,
                          topic: topic, event: event, senderUser: sender.isEmpty ? nil : sender, meta: meta,
                          preferBinary: flags & 2 != 0, payload: payload)
    }

    private var flags: UInt8 {
        var flags: UInt8 = preferBinary ? 2 : 0
        if case .binary = payload { flags |= 1 }
        return flags
    }

    private var payloadByteCount: Int { payload.jsonByteCount }

    private static func writeShortText(_ text: String, into out: inout ByteBuffer) {
        let count = min(text.utf8.count, Int(UInt16.max))
        out.writeInteger(UInt16(count))
        out.writeBytes(text.utf8.prefix(count))
    }

    private static func readShortText(_ bytes: inout ByteBuffer) throws(WireError) -> String {
        guard let length = bytes.readInteger(as: UInt16.self) else { throw .truncated }
        guard let slice = bytes.readSlice(length: Int(length)) else { throw .truncated }
        guard let text = slice.getString(at: slice.readerIndex, length: slice.readableBytes),
              text.utf8.count == Int(length) else { throw .invalidText }
        return text
    }

    private static func readMeta(_ bytes: inout ByteBuffer) throws(WireError) -> JSON? {
        guard let length = bytes.readInteger(as: UInt32.self) else { throw .truncated }
        guard length > 0 else { return nil }
        guard let slice = bytes.readSlice(length: Int(length)) else { throw .truncated }
        do { return try JSON.parse(slice) } catch { throw .invalidJSON }
    }
}
