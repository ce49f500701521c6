import NIOCore

/// Binary frame kinds of the v2 serializer (first byte of the frame).
public enum BinaryFrameKind: UInt8, Sendable {
    case push = 0
    case reply = 1
    case broadcast = 2
    case userBroadcastPush = 3
    case userBroadcast = 4
}

/// `payload_encoding` byte of kinds 3 and 4.
enum PayloadEncoding {
    static let binary: UInt8 = 0
    static let json: UInt8 = 1
}

/// Reads the uint8-length-prefixed layouts of v2 binary frames, failing with a `ProtocolError`
/// on truncation, invalid UTF-8 or invalid JSON.
struct BinaryFrameReader {
    private var buffer: ByteBuffer

    init(_ buffer: ByteBuffer) { self.buffer = buffer }

    /// A client→server frame: kind 0 push or kind 3 user broadcast push.
    mutating func readInboundFrame() throws(ProtocolError) -> InboundFrame {
        let kind = try readByte("kind")
        switch BinaryFrameKind(rawValue: kind) {
        case .push?: return .message(try readPushBody())
        case .userBroadcastPush?: return .userBroadcast(try readUserBroadcastPushBody())
        default: throw ProtocolError("unsupported binary frame kind \(kind); clients may send kind 0 or 3")
        }
    }

    /// Kind 0 after its kind byte: `join_ref_len, ref_len, topic_len, event_len, join_ref, ref, topic, event, data`.
    /// `data` must be JSON (an empty body counts as `{}`); Rally carries binary payloads only in kind 3.
    mutating func readPushBody() throws(ProtocolError) -> PhoenixMessage {
        let joinRefLength = try readByte("join_ref length")
        let refLength = try readByte("ref length")
        let topicLength = try readByte("topic length")
        let eventLength = try readByte("event length")
        let joinRef = try readRef(length: joinRefLength, field: "join_ref")
        let ref = try readRef(length: refLength, field: "ref")
        let topic = try readText(length: topicLength, field: "topic")
        let event = try readText(length: eventLength, field: "event")
        let payload = buffer.readableBytes == 0
            ? JSON.emptyObject
            : try readJSON(length: buffer.readableBytes, field: "payload")
        return PhoenixMessage(joinRef: joinRef, ref: ref, topic: topic, event: event, payload: payload)
    }

    /// Kind 3 after its kind byte: `join_ref_len, ref_len, topic_len, user_event_len, metadata_len,
    /// payload_encoding, join_ref, ref, topic, user_event, metadata, user_payload`.
    mutating func readUserBroadcastPushBody() throws(ProtocolError) -> UserBroadcastPush {
        let joinRefLength = try readByte("join_ref length")
        let refLength = try readByte("ref length")
        let topicLength = try readByte("topic length")
        let eventLength = try readByte("user_event length")
        let metadataLength = try readByte("metadata length")
        let encoding = try readByte("payload_encoding")
        let joinRef = try readRef(length: joinRefLength, field: "join_ref")
        let ref = try readRef(length: refLength, field: "ref")
        let topic = try readText(length: topicLength, field: "topic")
        let userEvent = try readText(length: eventLength, field: "user_event")
        let metadata = metadataLength == 0 ? nil : try readJSON(length: Int(metadataLength), field: "metadata")
        let payload = try readUserPayload(encoding: encoding)
        return UserBroadcastPush(
            joinRef: joinRef, ref: ref, topic: topic, userEvent: userEvent, metadata: metadata, payload: payload)
    }

    /// Kind 4 after its kind byte: `topic_len, user_event_len, metadata_len, payload_encoding,
    /// topic, user_event, metadata, user_payload`.
    mutating func readUserBroadcastBody() throws(ProtocolError) -> BroadcastEnvelope {
        let topicLength = try readByte("topic length")
        let eventLength = try readByte("user_event length")
        let metadataLength = try readByte("metadata length")
        let encoding = try readByte("payload_encoding")
        let topic = try readText(length: topicLength, field: "topic")
        let userEvent = try readText(length: eventLength, field: "user_event")
        let metadata = metadataLength == 0 ? nil : try readJSON(length: Int(metadataLength), field: "metadata")
        let payload = try readUserPayload(encoding: encoding)
        return BroadcastEnvelope(topic: topic, event: userEvent, payload: payload, meta: metadata, preferBinary: true)
    }

    // MARK: Fields

    mutating func readByte(_ field: String) throws(ProtocolError) -> UInt8 {
        guard let byte = buffer.readInteger(as: UInt8.self) else {
            throw ProtocolError("binary frame truncated: missing \(field)")
        }
        return byte
    }

    /// The rest of the frame as a user payload: a slice for encoding 0; for encoding 1 checked JSON, kept as its
    /// text when compact (`CompactJSONText`: it goes out as it came), else parsed.
    private mutating func readUserPayload(encoding: UInt8) throws(ProtocolError) -> BroadcastPayload {
        switch encoding {
        case PayloadEncoding.binary:
            return .binary(buffer.readSlice(length: buffer.readableBytes) ?? ByteBuffer())
        case PayloadEncoding.json:
            let rest = buffer.getSlice(at: buffer.readerIndex, length: buffer.readableBytes)
            if let text = rest.flatMap(CompactJSONText.init) {
                buffer.moveReaderIndex(forwardBy: text.byteCount)
                return .jsonText(text)
            }
            return .json(try readJSON(length: buffer.readableBytes, field: "user payload"))
        default:
            throw ProtocolError("unknown payload_encoding \(encoding) (expected 0 binary or 1 JSON)")
        }
    }

    private mutating func readSlice(length: Int, field: String) throws(ProtocolError) -> ByteBuffer {
        guard let slice = buffer.readSlice(length: length) else {
            throw ProtocolError("binary frame truncated: \(field) needs \(length) bytes, \(buffer.readableBytes) left")
        }
        return slice
    }

    private mutating func readText(length: UInt8, field: String) throws(ProtocolError) -> String {
        let slice = try readSlice(length: Int(length), field: field)
        let valid = slice.withUnsafeReadableBytes { UTF8Validation.isValid($0) }
        guard valid else { throw ProtocolError("\(field) is not valid UTF-8") }
        return String(buffer: slice)
    }

    /// Header refs are strings; an empty one means "none".
    private mutating func readRef(length: UInt8, field: String) throws(ProtocolError) -> JSON? {
        let text = try readText(length: length, field: field)
        return text.isEmpty ? nil : .string(text)
    }

    private mutating func readJSON(length: Int, field: String) throws(ProtocolError) -> JSON {
        let slice = try readSlice(length: length, field: field)
        do {
            return try JSON(parsing: slice)
        } catch {
            throw ProtocolError("\(field) is not valid JSON: \(error)")
        }
    }
}

extension BroadcastEnvelope {
    /// Decodes a server→client kind-4 user broadcast (what Supabase SDKs receive); for clients and tests.
    public static func decodeUserBroadcast(_ bytes: ByteBuffer) -> Result<BroadcastEnvelope, ProtocolError> {
        var reader = BinaryFrameReader(bytes)
        return Result { () throws(ProtocolError) in
            let kind = try reader.readByte("kind")
            guard kind == BinaryFrameKind.userBroadcast.rawValue else {
                throw ProtocolError("expected binary frame kind 4, got \(kind)")
            }
            return try reader.readUserBroadcastBody()
        }
    }
}
