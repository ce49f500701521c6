import NIOCore
import NIOHTTP1
import RallyAuth
import RallyHub
import RallyProtocol
import RallyWebSocket

/// `POST /api/broadcast` (batch) and `POST /api/broadcast/<topic>/events/<event>` (single), Supabase-compatible
/// (ANCHORS §3.6), for `service_role` callers only.
struct BroadcastEndpoint: Sendable {
    let services: HubServices
    /// Most messages one batch may carry.
    let maxBatch = 100

    func handle(_ request: HTTPRequest, target: RequestTarget, on loop: EventLoop) -> EventLoopFuture<HTTPResponse> {
        guard request.head.method == .POST else {
            return loop.makeSucceededFuture(Responses.message(.methodNotAllowed, "Method not allowed"))
        }
        guard authorize(request) else {
            services.metrics.rejection("rest_unauthorized").increment()
            return loop.makeSucceededFuture(Responses.message(.unauthorized, "Unauthorized"))
        }
        let single = target.path.split(separator: "/").map(String.init)
        if single.count == 5, single[3] == "events" {
            return loop.makeSucceededFuture(publishSingle(request, topic: RequestTarget.decode(Substring(single[2])),
                                                          event: RequestTarget.decode(Substring(single[4]))))
        }
        return loop.makeSucceededFuture(publishBatch(request.body))
    }

    /// `Authorization: Bearer` wins over `apikey`; only a valid `service_role` token may publish. Answered on the
    /// connection's loop (the verifier does no I/O and caches verified tokens), so pipelined publishes that arrive
    /// in one read are all handled in one loop tick and their fanout shares each socket's write.
    private func authorize(_ request: HTTPRequest) -> Bool {
        let headers = request.head.headers
        var token = headers.first(name: "apikey")
        if let bearer = headers.first(name: "authorization"), bearer.lowercased().hasPrefix("bearer ") {
            token = String(bearer.dropFirst("bearer ".count))
        }
        guard case .success(let identity) = services.verifier.verifySynchronously(token, now: services.now()) else {
            return false
        }
        return identity.role == .serviceRole
    }

    private func publishBatch(_ body: ByteBuffer) -> HTTPResponse {
        guard let document = try? JSON.parse(body), let messages = document["messages"]?.arrayValue else {
            return invalid("messages", "must be a list of {topic, event, payload}")
        }
        guard messages.count <= maxBatch else {
            return Responses.message(.tooManyRequests, "Too many messages to broadcast, please reduce the batch size")
        }
        var envelopes: [BroadcastEnvelope] = []
        for message in messages {
            guard let topic = message["topic"]?.stringValue, !topic.isEmpty,
                  let event = message["event"]?.stringValue,
                  let payload = message["payload"], payload.objectValue != nil else {
                return invalid("messages", "each message needs a topic, an event and an object payload")
            }
            guard payload.encodedByteCount <= services.limits.maxBroadcastPayloadBytes else {
                return invalid("payload", "Payload size exceeds tenant limit")
            }
            let meta: JSON? = message["id"]?.stringValue.map { .object(["id": .string($0)]) }
            envelopes.append(BroadcastEnvelope(topic: TopicName.prefix + topic, event: event, payload: .json(payload),
                                               meta: meta, preferBinary: false))
        }
        for envelope in envelopes { services.hub.broadcast(envelope) }
        services.metrics.broadcastsPublished.increment(by: Int64(envelopes.count))
        return Responses.accepted
    }

    /// The body is the payload itself: JSON, or `application/octet-stream` delivered as binary (kind 4).
    private func publishSingle(_ request: HTTPRequest, topic: String, event: String) -> HTTPResponse {
        guard request.body.readableBytes <= services.limits.maxBroadcastPayloadBytes else {
            return invalid("payload", "Payload size exceeds tenant limit")
        }
        let contentType = request.head.headers.first(name: "content-type")?.lowercased() ?? ""
        let payload: BroadcastPayload
        if contentType.hasPrefix("application/octet-stream") {
            payload = .binary(request.body)
        } else if contentType.hasPrefix("application/json") {
            guard let json = try? JSON.parse(request.body), json.objectValue != nil else {
                return invalid("payload", "must be a JSON object")
            }
            payload = .json(json)
        } else {
            return Responses.message(.unsupportedMediaType, "Use application/json or application/octet-stream")
        }
        services.hub.broadcast(BroadcastEnvelope(topic: TopicName.prefix + topic, event: event, payload: payload,
                                               meta: nil, preferBinary: true))
        services.metrics.broadcastsPublished.increment()
        return Responses.accepted
    }

    private func invalid(_ field: String, _ message: String) -> HTTPResponse {
        Responses.json(.unprocessableEntity,
                       .object(["errors": .object([field: .array([.string(message)])])]))
    }
}
