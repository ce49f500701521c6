import NIOCore
import RallyProtocol

/// The JSON form backend services publish on the bus:
///
/// ```json
/// {"topic": "room1", "event": "message", "payload": {"text": "hi"}, "id": "optional"}
/// ```
///
/// `topic` is the channel's name as clients join it, without or with the `realtime:` prefix. Delivered like a
/// `service_role` `POST /api/broadcast`: every subscriber on every node gets an ordinary `broadcast`; `id` becomes
/// `meta.id`.
public enum ServiceMessage {
    public static let topicPrefix = "realtime:"

    public enum Invalid: Error, Equatable, Sendable {
        case tooLarge(Int)
        case notJSON
        case missingField(String)
        case topicTooLong
    }

    /// True when `bytes` look like the JSON form (first non-blank byte `{`) rather than the nodes' binary form.
    public static func isJSONForm(_ bytes: ByteBuffer) -> Bool {
        for byte in bytes.readableBytesView {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"): continue
            default: return byte == UInt8(ascii: "{")
            }
        }
        return false
    }

    /// Parses and bounds a service message; `maxPayloadBytes` is the node's broadcast payload limit.
    public static func parse(_ bytes: ByteBuffer, maxPayloadBytes: Int, maxTopicBytes: Int = 255)
        throws(Invalid) -> BusMessage {
        guard bytes.readableBytes <= maxPayloadBytes + 4096 else { throw .tooLarge(bytes.readableBytes) }
        let document: JSON
        do { document = try JSON.parse(bytes) } catch { throw .notJSON }
        guard document.objectValue != nil else { throw .notJSON }
        guard let name = document["topic"]?.stringValue, !name.isEmpty else { throw .missingField("topic") }
        guard let event = document["event"]?.stringValue, !event.isEmpty else { throw .missingField("event") }
        guard let payload = document["payload"], payload.objectValue != nil else { throw .missingField("payload") }
        let subtopic = name.hasPrefix(topicPrefix) ? String(name.dropFirst(topicPrefix.count)) : name
        guard !subtopic.isEmpty else { throw .missingField("topic") }
        guard subtopic.utf8.count <= maxTopicBytes else { throw .topicTooLong }
        guard payload.encodedByteCount <= maxPayloadBytes else { throw .tooLarge(payload.encodedByteCount) }
        let meta: JSON? = document["id"]?.stringValue.map { .object(["id": .string($0)]) }
        return BusMessage(kind: .broadcast, topic: topicPrefix + subtopic, event: event, meta: meta,
                          payload: .json(payload))
    }

    /// The JSON form of a broadcast (what a service sends; tests and the load generator use it).
    public static func encode(topic: String, event: String, payload: JSON, id: String? = nil) -> ByteBuffer {
        var object: JSONObject = ["topic": .string(topic), "event": .string(event), "payload": payload]
        if let id { object.fields.append(.init(key: "id", value: .string(id))) }
        return JSON.object(object).serializedBuffer()
    }
}
