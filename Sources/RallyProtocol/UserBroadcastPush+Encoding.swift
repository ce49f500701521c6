import NIOCore

extension UserBroadcastPush {
    /// Encodes a client→server kind-3 frame the way realtime-js `serializer.ts` does:
    /// `3, join_ref_len, ref_len, topic_len, user_event_len, metadata_len, payload_encoding,
    /// join_ref, ref, topic, user_event, metadata, user_payload`.
    ///
    /// Refs are written as text (a string as is, a number as its literal, nil as empty). Fails when a
    /// header field is longer than 255 bytes. For clients and tests; the server only decodes kind 3.
    public func encode() -> Result<EncodedFrame, ProtocolError> {
        let joinRefText = Self.headerText(joinRef)
        let refText = Self.headerText(ref)
        let metadataText = metadata.map { $0.serializedString() } ?? ""
        let header = [("join_ref", joinRefText), ("ref", refText), ("topic", topic), ("user_event", userEvent),
                      ("metadata", metadataText)]
        if let (field, text) = header.first(where: { $0.1.utf8.count > 255 }) {
            return .failure(ProtocolError("\(field) is \(text.utf8.count) bytes; kind 3 allows at most 255"))
        }
        let size = 7 + header.reduce(0) { $0 + $1.1.utf8.count } + payloadByteCount
        let bytes = ByteBuffer.emitting(size) { out in
            out.byte(BinaryFrameKind.userBroadcastPush.rawValue)
            for (_, text) in header { out.byte(UInt8(text.utf8.count)) }
            out.byte(payloadEncoding)
            for (_, text) in header { out.raw(text) }
            out.userPayload(payload)
        }
        return .success(EncodedFrame(isBinary: true, bytes: bytes))
    }

    private var payloadEncoding: UInt8 {
        if case .binary = payload { return PayloadEncoding.binary }
        return PayloadEncoding.json
    }

    private var payloadByteCount: Int { payload.jsonByteCount }

    private static func headerText(_ ref: JSON?) -> String {
        switch ref {
        case nil, .null?: return ""
        case .string(let text)?: return text
        case .number(let literal)?: return literal
        case let other?: return other.serializedString()
        }
    }
}
