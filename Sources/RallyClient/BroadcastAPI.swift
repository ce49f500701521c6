import NIOCore
import NIOHTTP1
import RallyProtocol

/// Supabase's REST broadcast, `POST /api/broadcast`.
public enum BroadcastAPI {
    /// One message of a batch. `topic` is the name without `realtime:`.
    public struct Message: Sendable, Equatable {
        public var topic: String
        public var event: String
        public var payload: JSON
        public var isPrivate: Bool?
        public var id: String?

        public init(topic: String, event: String, payload: JSON, isPrivate: Bool? = nil, id: String? = nil) {
            self.topic = topic
            self.event = event
            self.payload = payload
            self.isPrivate = isPrivate
            self.id = id
        }
    }

    /// `{"messages":[{"topic","event","payload","private"?,"id"?}, …]}`
    public static func body(_ messages: [Message]) -> ByteBuffer {
        let items: [JSON] = messages.map { message in
            var object: JSONObject = [
                "topic": .string(message.topic), "event": .string(message.event), "payload": message.payload,
            ]
            if let isPrivate = message.isPrivate { object["private"] = .bool(isPrivate) }
            if let id = message.id { object["id"] = .string(id) }
            return .object(object)
        }
        return ClientJSON.serialize(.object(["messages": .array(items)]))
    }

    /// Headers for a JSON request authorised with `Bearer <token>` (nil sends no Authorization).
    public static func headers(token: String?) -> HTTPHeaders {
        var headers = HTTPHeaders([("Content-Type", "application/json")])
        if let token { headers.add(name: "Authorization", value: "Bearer \(token)") }
        return headers
    }

    /// Posts a batch to `path` (default `/api/broadcast`); 202 means accepted.
    public static func post(
        _ messages: [Message], token: String?, over connection: HTTPClientConnection, path: String = "/api/broadcast"
    ) -> EventLoopFuture<HTTPClientResponse> {
        connection.post(path: path, headers: headers(token: token), body: body(messages))
    }
}
