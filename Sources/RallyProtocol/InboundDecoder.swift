import NIOCore

/// Turns client frames into `InboundFrame`s. Every malformed input yields a `ProtocolError`, never a crash.
public enum InboundDecoder {
    /// Decode a text frame for the socket's version.
    ///
    /// - v1: an object with the required keys `topic`, `event`, `payload`, `ref` (ref may be null) and an
    ///   optional `join_ref`.
    /// - v2: an array `[join_ref, ref, topic, event, payload]`; extra trailing elements are ignored.
    ///
    /// `topic` and `event` must be strings. Refs may be any JSON scalar and are kept as sent; null → nil.
    public static func decodeText(_ bytes: ByteBuffer, version: ProtocolVersion) -> Result<InboundFrame, ProtocolError> {
        let json: JSON
        do {
            json = try JSON(parsing: bytes)
        } catch {
            return .failure(ProtocolError("invalid JSON text frame: \(error)"))
        }
        let message: Result<PhoenixMessage, ProtocolError>
        switch version {
        case .v1: message = decodeV1Object(json)
        case .v2: message = decodeV2Array(json)
        }
        return message.map(InboundFrame.message)
    }

    /// As `decodeText`, except for a broadcast's user payload (`payload.payload`) sent in compact form (what
    /// `JSON.stringify` writes): it is checked as any JSON is, but kept as text (`PhoenixMessage.userPayloadText`,
    /// with `null` in its place in `payload`) rather than built into a tree, so the fanout copies it into the
    /// outgoing frame as it came. Every other message decodes exactly as with `decodeText`.
    public static func decodeTextKeepingUserPayload(_ bytes: ByteBuffer,
                                                    version: ProtocolVersion) -> Result<InboundFrame, ProtocolError> {
        let parsed = bytes.withUnsafeReadableBytes { raw in
            Result { () throws(JSONParseError) in
                var scanner = JSONScanner(bytes: raw)
                return try scanner.parseFrameDocument()
            }
        }
        let document: FrameDocument
        let position: UserPayloadPosition?
        switch parsed {
        case .success(let result): (document, position) = result
        case .failure(let error): return .failure(ProtocolError("invalid JSON text frame: \(error)"))
        }
        var message: PhoenixMessage
        do throws(ProtocolError) {
            switch (version, document) {
            case (.v1, .members(let members)): message = try v1Message(members)
            case (.v1, .tree(let json)): message = try decodeV1Object(json).get()
            case (.v2, .members): message = try decodeV2Array(.emptyObject).get()  // refused as any non-array is
            case (.v2, .tree(let json)): message = try decodeV2Array(json).get()
            }
        } catch {
            return .failure(error)
        }
        if let position { place(position, of: bytes, into: &message) }
        return .success(.message(message))
    }

    /// A broadcast keeps its compact user payload as text; any other message gets the located value parsed back
    /// into its tree (the frame is valid JSON: this cannot fail).
    private static func place(_ position: UserPayloadPosition, of frame: ByteBuffer,
                              into message: inout PhoenixMessage) {
        let text = frame.getSlice(at: frame.readerIndex + position.range.lowerBound, length: position.range.count)
            ?? ByteBuffer()
        if message.event == "broadcast", position.isCompact {
            message.userPayloadText = CompactJSONText(validated: text)
        } else if var channelPayload = message.payload.objectValue {
            channelPayload["payload"] = (try? JSON(parsing: text)) ?? .null
            message.payload = .object(channelPayload)
        }
    }

    /// Decode a binary frame (v2 only: kind 0 push, kind 3 user broadcast).
    public static func decodeBinary(_ bytes: ByteBuffer, version: ProtocolVersion) -> Result<InboundFrame, ProtocolError> {
        guard version == .v2 else {
            return .failure(ProtocolError("binary frames need vsn 2.0.0; this socket uses 1.0.0"))
        }
        var reader = BinaryFrameReader(bytes)
        return Result { () throws(ProtocolError) in try reader.readInboundFrame() }
    }

    // MARK: Text forms

    static func decodeV1Object(_ json: JSON) -> Result<PhoenixMessage, ProtocolError> {
        guard case .object(let object) = json else {
            return .failure(ProtocolError("expected a JSON object {topic, event, payload, ref} for vsn 1.0.0"))
        }
        let members = V1FrameMembers(topic: object["topic"], event: object["event"], payload: object["payload"],
                                     ref: object["ref"], joinRef: object["join_ref"])
        return Result { () throws(ProtocolError) in try v1Message(members) }
    }

    /// The v1 object's checks, on its members: the required keys in this order, then each field's type.
    static func v1Message(_ members: V1FrameMembers) throws(ProtocolError) -> PhoenixMessage {
        try require(members.topic, "topic")
        try require(members.event, "event")
        try require(members.payload, "payload")
        try require(members.ref, "ref")
        return PhoenixMessage(
            joinRef: try ref(members.joinRef, named: "join_ref"),
            ref: try ref(members.ref, named: "ref"),
            topic: try string(members.topic, named: "topic"),
            event: try string(members.event, named: "event"),
            payload: members.payload ?? .null
        )
    }

    static func decodeV2Array(_ json: JSON) -> Result<PhoenixMessage, ProtocolError> {
        guard case .array(let elements) = json else {
            return .failure(ProtocolError("expected a JSON array [join_ref, ref, topic, event, payload] for vsn 2.0.0"))
        }
        guard elements.count >= 5 else {
            return .failure(ProtocolError(
                "expected 5 elements [join_ref, ref, topic, event, payload], got \(elements.count)"))
        }
        return Result { () throws(ProtocolError) in
            PhoenixMessage(
                joinRef: try ref(elements[0], named: "join_ref"),
                ref: try ref(elements[1], named: "ref"),
                topic: try string(elements[2], named: "topic"),
                event: try string(elements[3], named: "event"),
                payload: elements[4]
            )
        }
    }

    // MARK: Field checks

    private static func require(_ value: JSON?, _ key: String) throws(ProtocolError) {
        if value == nil { throw ProtocolError("missing required key \"\(key)\"") }
    }

    /// A ref as sent: absent or null → nil; any other scalar kept; arrays and objects rejected.
    private static func ref(_ value: JSON?, named name: String) throws(ProtocolError) -> JSON? {
        switch value {
        case nil, .null?: return nil
        case .array?, .object?: throw ProtocolError("\"\(name)\" must be a string, number or null")
        case let scalar?: return scalar
        }
    }

    private static func string(_ value: JSON?, named name: String) throws(ProtocolError) -> String {
        guard case .string(let text)? = value else { throw ProtocolError("\"\(name)\" must be a string") }
        return text
    }
}
