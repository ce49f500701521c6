import NIOCore
import RallyProtocol

/// Pure client-side encoding and decoding of Phoenix / Supabase Realtime frames (no I/O).
public enum PhoenixClientCodec {
    public struct DecodeError: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    static let userBroadcastPushKind: UInt8 = 3
    static let userBroadcastKind: UInt8 = 4
    static let binaryEncoding: UInt8 = 0
    static let jsonEncoding: UInt8 = 1

    // MARK: Encoding (client → server)

    /// A text push: v1 `{"topic","event","payload","ref","join_ref"?}`, v2 `[join_ref, ref, topic, event, payload]`.
    public static func encodePush(
        joinRef: String?, ref: String?, topic: String, event: String, payload: JSON, version: ProtocolVersion
    ) -> ByteBuffer {
        let refJSON = ref.map(JSON.string) ?? .null
        switch version {
        case .v1:
            var object: JSONObject = ["topic": .string(topic), "event": .string(event), "payload": payload, "ref": refJSON]
            if let joinRef { object["join_ref"] = .string(joinRef) }
            return ClientJSON.serialize(.object(object))
        case .v2:
            let joinRefJSON = joinRef.map(JSON.string) ?? .null
            return ClientJSON.serialize(.array([joinRefJSON, refJSON, .string(topic), .string(event), payload]))
        }
    }

    /// Binary kind 3, laid out as realtime-js's serializer.ts does:
    /// `3, join_ref_len, ref_len, topic_len, event_len, metadata_len (0), encoding, join_ref, ref, topic, event, payload`.
    /// Missing refs are sent as empty strings. Every string must fit in 255 UTF-8 bytes.
    public static func encodeUserBroadcastPush(
        joinRef: String?, ref: String?, topic: String, userEvent: String, payload: BroadcastPayload
    ) throws -> ByteBuffer {
        let fields = [joinRef ?? "", ref ?? "", topic, userEvent]
        for field in fields where field.utf8.count > 255 {
            throw DecodeError("kind-3 field longer than 255 bytes: \(field.prefix(40))…")
        }
        var buffer = ByteBuffer()
        buffer.writeInteger(userBroadcastPushKind)
        for field in fields { buffer.writeInteger(UInt8(field.utf8.count)) }
        buffer.writeInteger(UInt8(0))  // metadata length: realtime-js sends none by default
        switch payload {
        case .json, .jsonText: buffer.writeInteger(jsonEncoding)
        case .binary: buffer.writeInteger(binaryEncoding)
        }
        for field in fields { buffer.writeString(field) }
        switch payload {
        case .json(let value): ClientJSON.write(value, into: &buffer)
        case .jsonText(let text): buffer.writeImmutableBuffer(text.bytes)
        case .binary(var bytes): buffer.writeBuffer(&bytes)
        }
        return buffer
    }

    // MARK: Decoding (server → client)

    /// Decodes a text frame: a JSON object (v1) or array (v2). Both are accepted whatever the
    /// negotiated version, so a test can see what the server really sent.
    public static func decodeText(_ bytes: ByteBuffer) throws -> ServerEvent {
        let value: JSON
        do { value = try ClientJSON.parse(bytes) } catch { throw DecodeError("invalid JSON: \(error)") }
        switch value {
        case .array(let items): return try decodeArray(items)
        case .object(let object): return try decodeObject(object)
        default: throw DecodeError("text frame is neither a JSON object nor an array")
        }
    }

    private static func decodeArray(_ items: [JSON]) throws -> ServerEvent {
        guard items.count >= 5, let topic = items[2].stringValue, let event = items[3].stringValue else {
            throw DecodeError("v2 frame must be [join_ref, ref, topic, event, payload]")
        }
        return ServerEvent(joinRef: items[0], ref: items[1], topic: topic, event: event, payload: items[4], framing: .v2Array)
    }

    private static func decodeObject(_ object: JSONObject) throws -> ServerEvent {
        guard let topic = object["topic"]?.stringValue, let event = object["event"]?.stringValue else {
            throw DecodeError("v1 frame needs string topic and event")
        }
        return ServerEvent(
            joinRef: object["join_ref"], ref: object["ref"], topic: topic, event: event,
            payload: object["payload"] ?? .null, framing: .v1Object)
    }

    /// Decodes a binary frame; only kind 4 (user broadcast) is defined for server → client.
    public static func decodeBinary(_ bytes: ByteBuffer) throws -> ServerEvent {
        var reader = bytes
        guard let kind = reader.readInteger(as: UInt8.self) else { throw DecodeError("empty binary frame") }
        guard kind == userBroadcastKind else { throw DecodeError("unexpected binary kind \(kind)") }
        guard let (topicLength, eventLength, metaLength, encoding) = reader.readMultipleIntegers(as: (UInt8, UInt8, UInt8, UInt8).self),
            let topic = reader.readString(length: Int(topicLength)),
            let userEvent = reader.readString(length: Int(eventLength)),
            let metaBytes = reader.readSlice(length: Int(metaLength))
        else { throw DecodeError("truncated kind-4 frame") }
        var payload: JSONObject = ["type": .string("broadcast"), "event": .string(userEvent)]
        var binary: ByteBuffer? = nil
        switch encoding {
        case jsonEncoding:
            do { payload["payload"] = try ClientJSON.parse(reader) } catch { throw DecodeError("kind-4 JSON payload: \(error)") }
        case binaryEncoding:
            binary = reader
        default:
            throw DecodeError("unknown kind-4 payload encoding \(encoding)")
        }
        if metaLength > 0 {
            do { payload["meta"] = try ClientJSON.parse(metaBytes) } catch { throw DecodeError("kind-4 metadata: \(error)") }
        }
        return ServerEvent(
            joinRef: .null, ref: .null, topic: topic, event: "broadcast", payload: .object(payload),
            binaryPayload: binary, framing: .binaryUserBroadcast)
    }

    public static func decode(_ message: WebSocketClientMessage) throws -> ServerEvent {
        message.kind == .text ? try decodeText(message.data) : try decodeBinary(message.data)
    }
}
