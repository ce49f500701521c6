import NIOCore

/// A broadcast as it is fanned out to a topic. Encoded once per serializer version.
public struct BroadcastEnvelope: Sendable, Equatable {
    public var topic: String          // full topic, e.g. "realtime:room1"
    public var event: String          // the user event name
    public var payload: BroadcastPayload
    /// e.g. {"id": "...", "replayed": true}; nil for none (JSON null counts as none).
    public var meta: JSON?
    /// True when it came as a binary kind-3 push or from a source that v2 clients receive as kind 4.
    public var preferBinary: Bool
    public init(topic: String, event: String, payload: BroadcastPayload, meta: JSON? = nil, preferBinary: Bool) {
        self.topic = topic; self.event = event; self.payload = payload; self.meta = meta; self.preferBinary = preferBinary
    }

    /// v1 text frame `{"topic","event":"broadcast","payload":{"type":"broadcast","event","payload","meta"?},"ref":null}`;
    /// nil for a binary payload (v1 subscribers skip it).
    public func encodeV1() -> EncodedFrame? {
        guard let size = v1ByteCount else { return nil }
        var bytes = ByteBufferAllocator().buffer(capacity: size)
        writeV1(size, into: &bytes)
        return EncodedFrame(isBinary: false, bytes: bytes)
    }

    /// The size of the v1 text frame (`encodeV1`); nil for a binary payload.
    public var v1ByteCount: Int? {
        if case .binary = payload { return nil }
        let inner = InnerPayload(event: event, payload: payload, meta: presentMeta)
        return V1Broadcast.fixedByteCount + JSONWriter.byteCount(ofString: topic) + inner.byteCount
    }

    /// Appends the v1 text frame, `size` (`v1ByteCount`) bytes, to `buffer`: for a buffer that already holds what
    /// goes before it (a WebSocket frame's header), so the frame is not copied behind it afterwards.
    public func writeV1(_ size: Int, into buffer: inout ByteBuffer) {
        let inner = InnerPayload(event: event, payload: payload, meta: presentMeta)
        buffer.writeExactly(size) { out in
            out.raw(V1Text.topicKey)
            out.string(topic)
            out.raw(V1Broadcast.afterTopic)
            inner.emit(into: &out)
            out.raw(V1Broadcast.end)
        }
    }

    /// v2: kind 4 binary when `preferBinary` or the payload is binary, else the text array form
    /// `[null,null,topic,"broadcast",{"type":"broadcast","event","payload","meta"?}]`.
    ///
    /// Kind 4 cannot carry a topic, event or metadata longer than 255 bytes. Such a broadcast is sent
    /// in the text form instead; a binary payload then travels as a base64 string (standard alphabet,
    /// padded), because the text form has no way to carry raw bytes. `fitsUserBroadcastFrame` tells
    /// callers in advance.
    public func encodeV2() -> EncodedFrame {
        let wantsBinary: Bool
        if case .binary = payload { wantsBinary = true } else { wantsBinary = preferBinary }
        if wantsBinary, let frame = encodeUserBroadcast() { return frame }
        return EncodedFrame(isBinary: false, bytes: encodeV2Text())
    }

    /// Whether topic, event and metadata each fit the uint8 length fields of a kind-4 frame.
    public var fitsUserBroadcastFrame: Bool {
        topic.utf8.count <= 255 && event.utf8.count <= 255 && metadataByteCount <= 255
    }

    // MARK: Kind 4

    /// `4, topic_len, user_event_len, metadata_len, payload_encoding, topic, user_event, metadata, user_payload`;
    /// nil when a length does not fit in a byte.
    private func encodeUserBroadcast() -> EncodedFrame? {
        let topicLength = topic.utf8.count
        let eventLength = event.utf8.count
        let metadataLength = metadataByteCount
        guard topicLength <= 255, eventLength <= 255, metadataLength <= 255 else { return nil }
        let payloadLength: Int
        let encoding: UInt8
        switch payload {
        case .json, .jsonText: (payloadLength, encoding) = (payload.jsonByteCount, PayloadEncoding.json)
        case .binary(let bytes): (payloadLength, encoding) = (bytes.readableBytes, PayloadEncoding.binary)
        }
        let size = 5 + topicLength + eventLength + metadataLength + payloadLength
        let bytes = ByteBuffer.emitting(size) { out in
            out.byte(BinaryFrameKind.userBroadcast.rawValue)
            out.byte(UInt8(topicLength))
            out.byte(UInt8(eventLength))
            out.byte(UInt8(metadataLength))
            out.byte(encoding)
            out.raw(topic)
            out.raw(event)
            if let meta = presentMeta { out.value(meta) }
            out.userPayload(payload)
        }
        return EncodedFrame(isBinary: true, bytes: bytes)
    }

    private var presentMeta: JSON? {
        if let meta, !meta.isNull { return meta }
        return nil
    }

    private var metadataByteCount: Int { presentMeta.map(JSONWriter.byteCount(of:)) ?? 0 }

    // MARK: v2 text

    private func encodeV2Text() -> ByteBuffer {
        let userPayload: BroadcastPayload
        switch payload {
        case .json, .jsonText: userPayload = payload
        case .binary(let bytes): userPayload = .json(.string(Base64.encode(bytes.readableBytesView, urlSafe: false)))
        }
        let inner = InnerPayload(event: event, payload: userPayload, meta: presentMeta)
        let size = V2Broadcast.fixedByteCount + JSONWriter.byteCount(ofString: topic) + inner.byteCount
        return ByteBuffer.emitting(size) { out in
            out.raw(V2Broadcast.start)
            out.string(topic)
            out.raw(V2Broadcast.afterTopic)
            inner.emit(into: &out)
            out.raw(V2Broadcast.end)
        }
    }
}

/// The channel payload of a text broadcast: `{"type":"broadcast","event":E,"payload":P[,"meta":M]}`.
private struct InnerPayload {
    var event: String
    /// JSON (a binary payload was turned into a base64 string before).
    var payload: BroadcastPayload
    var meta: JSON?

    static let typeAndEventKey: StaticString = "{\"type\":\"broadcast\",\"event\":"
    static let payloadKey: StaticString = ",\"payload\":"
    static let metaKey: StaticString = ",\"meta\":"
    static let end: StaticString = "}"

    var byteCount: Int {
        var count = Self.typeAndEventKey.utf8CodeUnitCount + JSONWriter.byteCount(ofString: event)
        count += Self.payloadKey.utf8CodeUnitCount + payload.jsonByteCount + Self.end.utf8CodeUnitCount
        if let meta { count += Self.metaKey.utf8CodeUnitCount + JSONWriter.byteCount(of: meta) }
        return count
    }

    func emit(into out: inout JSONEmitter) {
        out.raw(Self.typeAndEventKey)
        out.string(event)
        out.raw(Self.payloadKey)
        out.userPayload(payload)
        if let meta {
            out.raw(Self.metaKey)
            out.value(meta)
        }
        out.raw(Self.end)
    }
}

extension JSONEmitter {
    /// A user payload: compact JSON (a tree written out, a kept text copied as it is), or the readable bytes of a
    /// binary payload.
    mutating func userPayload(_ payload: BroadcastPayload) {
        switch payload {
        case .json(let value): self.value(value)
        case .jsonText(let text): text.bytes.withUnsafeReadableBytes { bytes($0) }
        case .binary(let buffer): buffer.withUnsafeReadableBytes { bytes($0) }
        }
    }
}

extension BroadcastPayload {
    /// Its size as written into a frame: compact JSON, or the bytes of a binary payload.
    public var jsonByteCount: Int {
        switch self {
        case .json(let value): return JSONWriter.byteCount(of: value)
        case .jsonText(let text): return text.byteCount
        case .binary(let bytes): return bytes.readableBytes
        }
    }
}

private enum V1Broadcast {
    static let afterTopic: StaticString = ",\"event\":\"broadcast\",\"payload\":"
    static let end: StaticString = ",\"ref\":null}"
    static let fixedByteCount = V1Text.topicKey.utf8CodeUnitCount + afterTopic.utf8CodeUnitCount + end.utf8CodeUnitCount
}

private enum V2Broadcast {
    static let start: StaticString = "[null,null,"
    static let afterTopic: StaticString = ",\"broadcast\","
    static let end: StaticString = "]"
    static let fixedByteCount = start.utf8CodeUnitCount + afterTopic.utf8CodeUnitCount + end.utf8CodeUnitCount
}
