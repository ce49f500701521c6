import NIOHTTP1
import RallyHub
import RallyProtocol
import RallyWebSocket

/// What the REST broadcast API answers, as Supabase does where Supabase says something: 202 with no body when
/// every message went out; 401 `{"message":"Unauthorized"}` for a token that does not verify; 422
/// `{"errors":{field:[…]}}` for a malformed request (nothing is published); 415 for another content type. Where
/// Supabase drops a refused private message silently, Rally says which message was refused and why:
/// - a single message: 403 (refused by the topic's rules), 429 (a rate limit) or 503 (not stored), with
///   `{"message": reason}`;
/// - a batch where every message was refused: the first refusal's status, `{"message": …, "refused": […]}`;
/// - a batch where some went out: 202 with `{"refused": [{"index", "topic", "event", "status", "message"}]}`.
enum BroadcastAnswer {
    struct Invalid: Error {
        let response: HTTPResponse

        init(_ field: String, _ message: String) {
            response = Responses.json(.unprocessableEntity,
                                      .object(["errors": .object([field: .array([.string(message)])])]))
        }

        private init(response: HTTPResponse) { self.response = response }

        static let tooManyMessages = Invalid(response: Responses.message(
            .tooManyRequests, "Too many messages to broadcast, please reduce the batch size"))
        static let unsupportedMediaType = Invalid(response: Responses.message(
            .unsupportedMediaType, "Use application/json or application/octet-stream"))
    }

    static func single(_ results: [WriteResult]) -> HTTPResponse {
        guard let result = results.first, let refusal = refusal(of: result) else { return Responses.accepted }
        return Responses.message(refusal.status, refusal.reason)
    }

    static func batch(_ messages: [RESTMessage], _ results: [WriteResult]) -> HTTPResponse {
        var refused: [JSON] = []
        var first: (status: HTTPResponseStatus, reason: String)?
        for (index, result) in results.enumerated() {
            guard let refusal = refusal(of: result) else { continue }
            first = first ?? refusal
            refused.append(.object([
                "index": .number(String(index)), "topic": .string(messages[index].subtopic),
                "event": .string(messages[index].event), "status": .number(String(refusal.status.code)),
                "message": .string(refusal.reason),
            ]))
        }
        guard let first else { return Responses.accepted }
        if refused.count == results.count {
            return Responses.json(first.status, .object(["message": .string(first.reason), "refused": .array(refused)]))
        }
        return Responses.json(.accepted, .object(["refused": .array(refused)]))
    }

    private static func refusal(of result: WriteResult) -> (status: HTTPResponseStatus, reason: String)? {
        switch result {
        case .published, .stored, .answered:
            return nil
        case .dropped(let metric):
            return (.tooManyRequests, "RateLimited: Too many \(metric.replacingOccurrences(of: "_rate", with: "")) "
                + "writes per second")
        case .refused(.unauthorized, let reason, _):
            return (.forbidden, reason)
        case .refused(.rateLimited, let reason, _):
            return (.tooManyRequests, reason)
        case .refused(.unavailable, let reason, _):
            return (.serviceUnavailable, reason)
        }
    }
}
