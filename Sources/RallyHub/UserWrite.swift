import NIOCore
import RallyProtocol

/// What became of a user's broadcast, whichever way it came (a joined socket or the REST API).
public enum WriteResult: Sendable {
    /// Fanned out.
    case published
    /// Stored (group chat): the store's answer (the message id); the fanout comes from the store's change feed.
    case stored(JSON)
    /// Over an ephemeral write limit (typing): a socket drops it silently.
    case dropped(metric: String)
    /// Taken over by the topic's feed (location sharing): what it sends instead, if anything, went out; the sender
    /// is answered ok with `response` (on a socket whatever `ack` says).
    case answered(JSON)
    /// Refused; `reason` is what the client is told.
    case refused(WriteRefusal, reason: String, metric: String)
}

/// Why a write was refused, for the REST status code (403, 429, 503).
public enum WriteRefusal: Sendable {
    case unauthorized
    case rateLimited
    case unavailable
}

extension HubServices {
    /// Carries out what the topic's feeds decide about a user's broadcast: the one place both the socket path
    /// (`ClientConnection.publish`) and the REST path (`publish(_:as:on:)`) act on a `WriteDisposition`.
    /// `admit` takes a token of a per-channel write limit; `fanOut` publishes the broadcast (the client's event
    /// and payload, or the feed's in their place). `completion` runs on `loop`, at once unless the write is stored.
    func carryOut(_ write: FeedWrite, admit: (WriteLimit) -> Bool,
                  fanOut: (_ event: String, _ payload: BroadcastPayload) -> Void, on loop: EventLoop,
                  completion: @escaping (WriteResult) -> Void) {
        switch feeds.write(write) {
        case .publish:
            fanOut(write.event, write.payload)
            completion(.published)
        case .publishLimited(let limit):
            guard admit(limit) else { return completion(.dropped(metric: "\(limit.name)_rate")) }
            fanOut(write.event, write.payload)
            completion(.published)
        case .refuse(let reason):
            completion(.refused(.unauthorized, reason: reason, metric: "write_refused"))
        case .rewrite(let rewritten):
            if let event = rewritten.event { fanOut(event, .json(rewritten.payload)) }
            completion(.answered(rewritten.response))
        case .store(let limit, let perform):
            guard admit(limit) else {
                return completion(.refused(.rateLimited,
                                           reason: "RateLimited: Too many \(limit.name) writes per second",
                                           metric: "\(limit.name)_rate"))
            }
            perform(loop).hop(to: loop).whenComplete { [logger] result in
                switch result {
                case .success(let response):
                    completion(.stored(response))
                case .failure(let error):
                    logger.warning("write not stored", metadata: ["error": "\(String(reflecting: error))"])
                    completion(.refused(.unavailable, reason: "StoreFailed: the message was not stored, please retry",
                                        metric: "store_failed"))
                }
            }
        }
    }
}
