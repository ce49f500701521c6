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
        var buffer = ByteBufferAllocator().buffer(capacity: size)
        buffer.writeStaticString(V1Text.topicKey)
        JSONWriter.writeString(message.topic, into: &buffer)
        buffer.writeStaticString(V1Text.eventKey)
        JSONWriter.writeString(message.event, into: &buffer)
        buffer.writeStaticString(V1Text.payloadKey)
        JSONWriter.write(message.payload, into: &buffer)
        buffer.writeStaticString(V1Text.refKey)
        JSONWriter.write(message.ref ?? .null, into: &buffer)
        buffer.writeStaticString(V1Text.end)
        return buffer
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
        var buffer = ByteBufferAllocator().buffer(capacity: size)
        buffer.writeInteger(ASCII.openBracket)
        JSONWriter.write(joinRef, into: &buffer)
        buffer.writeInteger(ASCII.comma)
        JSONWriter.write(ref, into: &buffer)
        buffer.writeInteger(ASCII.comma)
        JSONWriter.writeString(message.topic, into: &buffer)
        buffer.writeInteger(ASCII.comma)
        JSONWriter.writeString(message.event, into: &buffer)
        buffer.writeInteger(ASCII.comma)
        JSONWriter.write(message.payload, into: &buffer)
        buffer.writeInteger(ASCII.closeBracket)
        return buffer
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
