import NIOCore

/// A server→client push or reply, before serialization.
public struct OutboundMessage: Sendable, Equatable {
    public var joinRef: JSON?   // v2 only (v1 never sends join_ref)
    public var ref: JSON?       // serialized as null when nil (v1 must always carry "ref")
    public var topic: String
    public var event: String
    public var payload: JSON
    public init(joinRef: JSON?, ref: JSON?, topic: String, event: String, payload: JSON) {
        self.joinRef = joinRef; self.ref = ref; self.topic = topic; self.event = event; self.payload = payload
    }
}

/// An encoded frame ready for the transport.
public struct EncodedFrame: Sendable, Equatable {
    public var isBinary: Bool
    public var bytes: ByteBuffer
    public init(isBinary: Bool, bytes: ByteBuffer) { self.isBinary = isBinary; self.bytes = bytes }
}

/// Serializes server→client messages as text frames, each into one exactly sized buffer.
public enum OutboundEncoder {
    /// v1: `{"topic":…,"event":…,"payload":…,"ref":…}` (never `join_ref`; `"ref":null` when nil).
    /// v2: `[join_ref,ref,topic,event,payload]` with null for missing refs.
    public static func encode(_ message: OutboundMessage, version: ProtocolVersion) -> EncodedFrame {
        switch version {
        case .v1: return EncodedFrame(isBinary: false, bytes: encodeV1(message))
        case .v2: return EncodedFrame(isBinary: false, bytes: encodeV2(message))
        }
    }

    private static func encodeV1(_ message: OutboundMessage) -> ByteBuffer {
        let size = V1Text.fixedByteCount
            + JSONWriter.byteCount(ofString: message.topic)
            + JSONWriter.byteCount(ofString: message.event)
            + JSONWriter.byteCount(of: message.payload)
            + JSONWriter.byteCount(of: message.ref ?? .null)
        return ByteBuffer.emitting(size) { out in
            out.raw(V1Text.topicKey)
            out.string(message.topic)
            out.raw(V1Text.eventKey)
            out.string(message.event)
            out.raw(V1Text.payloadKey)
            out.value(message.payload)
            out.raw(V1Text.refKey)
            out.value(message.ref ?? .null)
            out.raw(V1Text.end)
        }
    }

    private static func encodeV2(_ message: OutboundMessage) -> ByteBuffer {
        let joinRef = message.joinRef ?? .null
        let ref = message.ref ?? .null
        let size = 6
            + JSONWriter.byteCount(of: joinRef)
            + JSONWriter.byteCount(of: ref)
            + JSONWriter.byteCount(ofString: message.topic)
            + JSONWriter.byteCount(ofString: message.event)
            + JSONWriter.byteCount(of: message.payload)
        return ByteBuffer.emitting(size) { out in
            out.byte(ASCII.openBracket)
            out.value(joinRef)
            out.byte(ASCII.comma)
            out.value(ref)
            out.byte(ASCII.comma)
            out.string(message.topic)
            out.byte(ASCII.comma)
            out.string(message.event)
            out.byte(ASCII.comma)
            out.value(message.payload)
            out.byte(ASCII.closeBracket)
        }
    }
}

/// The fixed text around the values of a v1 server frame.
enum V1Text {
    static let topicKey: StaticString = "{\"topic\":"
    static let eventKey: StaticString = ",\"event\":"
    static let payloadKey: StaticString = ",\"payload\":"
    static let refKey: StaticString = ",\"ref\":"
    static let end: StaticString = "}"

    static let fixedByteCount = [topicKey, eventKey, payloadKey, refKey, end].reduce(0) { $0 + $1.utf8CodeUnitCount }
}
