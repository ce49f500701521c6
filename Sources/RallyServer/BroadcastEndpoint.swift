import NIOCore
import NIOHTTP1
import RallyAuth
import RallyHub
import RallyProtocol
import RallyWebSocket

/// `POST /api/broadcast` (batch) and `POST /api/broadcast/<topic>/events/<event>` (single), Supabase-compatible
/// (ANCHORS §3.6), also under `/realtime/v1/api/…` where realtime-js posts them. Any valid token may publish: a
/// user's message is decided by the rules of the same user's broadcast on a joined socket
/// (`HubServices.publish(_:as:on:)`), `service_role` publishes anywhere. Answers: `BroadcastAnswer`.
struct BroadcastEndpoint: Sendable {
    let services: HubServices
    /// Most messages one batch may carry.
    let maxBatch = 100

    /// `path` is the request's path without the `/realtime/v1` prefix.
    func handle(_ request: HTTPRequest, path: String, query: [String: String], on loop: EventLoop)
        -> EventLoopFuture<HTTPResponse> {
        guard request.head.method == .POST else {
            return loop.makeSucceededFuture(Responses.message(.methodNotAllowed, "Method not allowed"))
        }
        guard let identity = authenticate(request) else {
            services.metrics.rejection("rest_unauthorized").increment()
            return loop.makeSucceededFuture(Responses.message(.unauthorized, "Unauthorized"))
        }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 6, parts[4] == "events" {
            let message = singleMessage(request, subtopic: RequestTarget.decode(parts[3]),
                                        event: RequestTarget.decode(parts[5]), isPrivate: query["private"] == "true")
            switch message {
            case .failure(let refusal): return loop.makeSucceededFuture(refusal.response)
            case .success(let message):
                return publish([message], as: identity, on: loop).map(BroadcastAnswer.single)
            }
        }
        guard path == "/api/broadcast" else { return loop.makeSucceededFuture(Responses.notFound) }
        switch batchMessages(request.body) {
        case .failure(let refusal): return loop.makeSucceededFuture(refusal.response)
        case .success(let messages):
            return publish(messages, as: identity, on: loop).map { BroadcastAnswer.batch(messages, $0) }
        }
    }

    /// `Authorization: Bearer` wins over `apikey`; any token that verifies. Answered on the connection's loop (the
    /// verifier does no I/O and caches verified tokens), so pipelined publishes that arrive in one read are all
    /// handled in one loop tick and their fanout shares each socket's write.
    private func authenticate(_ request: HTTPRequest) -> Identity? {
        let headers = request.head.headers
        var token = headers.first(name: "apikey")
        if let bearer = headers.first(name: "authorization"), bearer.lowercased().hasPrefix("bearer ") {
            token = String(bearer.dropFirst("bearer ".count))
        }
        guard case .success(let identity) = services.verifier.verify(token, now: services.now()) else {
            return nil
        }
        return identity
    }

    /// Publishes in order (a later message to the same topic never overtakes an earlier one), one result each.
    private func publish(_ messages: [RESTMessage], as identity: Identity, on loop: EventLoop)
        -> EventLoopFuture<[WriteResult]> {
        var chain = loop.makeSucceededFuture([WriteResult]())
        for message in messages {
            chain = chain.flatMap { results in
                services.publish(message, as: identity, on: loop).map { results + [$0] }
            }
        }
        return chain.map { results in
            for result in results { count(result) }
            return results
        }
    }

    private func count(_ result: WriteResult) {
        switch result {
        case .published, .stored, .answered: services.metrics.broadcastsPublished.increment()
        case .dropped(let metric), .refused(_, _, let metric): services.metrics.rejection(metric).increment()
        }
    }

    private func batchMessages(_ body: ByteBuffer) -> Result<[RESTMessage], BroadcastAnswer.Invalid> {
        guard let document = try? JSON.parse(body), let items = document["messages"]?.arrayValue else {
            return .failure(.init("messages", "must be a list of {topic, event, payload}"))
        }
        guard items.count <= maxBatch else { return .failure(.tooManyMessages) }
        var messages: [RESTMessage] = []
        for item in items {
            guard let topic = item["topic"]?.stringValue, !topic.isEmpty, let event = item["event"]?.stringValue,
                  let payload = item["payload"], payload.objectValue != nil else {
                return .failure(.init("messages", "each message needs a topic, an event and an object payload"))
            }
            guard payload.encodedByteCount <= services.limits.maxBroadcastPayloadBytes else {
                return .failure(.init("payload", "Payload size exceeds tenant limit"))
            }
            let meta: JSON? = item["id"]?.stringValue.map { .object(["id": .string($0)]) }
            messages.append(RESTMessage(subtopic: topic, event: event, payload: .json(payload),
                                        isPrivate: item["private"]?.boolValue ?? false, meta: meta))
        }
        return .success(messages)
    }

    /// The body is the payload itself: JSON, or `application/octet-stream` delivered as binary (kind 4).
    private func singleMessage(_ request: HTTPRequest, subtopic: String, event: String, isPrivate: Bool)
        -> Result<RESTMessage, BroadcastAnswer.Invalid> {
        guard !subtopic.isEmpty else { return .failure(.init("topic", "must not be empty")) }
        guard request.body.readableBytes <= services.limits.maxBroadcastPayloadBytes else {
            return .failure(.init("payload", "Payload size exceeds tenant limit"))
        }
        let contentType = request.head.headers.first(name: "content-type")?.lowercased() ?? ""
        let payload: BroadcastPayload
        if contentType.hasPrefix("application/octet-stream") {
            payload = .binary(request.body)
        } else if contentType.hasPrefix("application/json") {
            guard let json = try? JSON.parse(request.body), json.objectValue != nil else {
                return .failure(.init("payload", "must be a JSON object"))
            }
            payload = .json(json)
        } else {
            return .failure(.unsupportedMediaType)
        }
        return .success(RESTMessage(subtopic: subtopic, event: event, payload: payload, isPrivate: isPrivate,
                                    preferBinary: true))
    }
}
