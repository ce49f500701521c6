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

    /// Decode a binary frame (v2 only: kind 0 push, kind 3 user broadcast).
    public static func decodeBinary(_ bytes: ByteBuffer, version: ProtocolVersion) -> Result<InboundFrame, ProtocolError> {
        guard version == .v2 else {
            return .failure(ProtocolError("binary frames need vsn 2.0.0; this socket uses 1.0.0"))
        }
        var reader = BinaryFrameReader(bytes)
        return Result { () throws(ProtocolError) in try reader.readInboundFrame() }
    }

    // MARK: Text forms

    private static let requiredV1Keys = ["topic", "event", "payload", "ref"]

    static func decodeV1Object(_ json: JSON) -> Result<PhoenixMessage, ProtocolError> {
        guard case .object(let object) = json else {
            return .failure(ProtocolError("expected a JSON object {topic, event, payload, ref} for vsn 1.0.0"))
        }
        return Result { () throws(ProtocolError) in
            for key in requiredV1Keys where object[key] == nil {
                throw ProtocolError("missing required key \"\(key)\"")
            }
            return PhoenixMessage(
                joinRef: try ref(object["join_ref"], named: "join_ref"),
                ref: try ref(object["ref"], named: "ref"),
                topic: try string(object["topic"], named: "topic"),
                event: try string(object["event"], named: "event"),
                payload: object["payload"] ?? .null
            )
        }
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
