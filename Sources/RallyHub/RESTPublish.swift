import NIOCore
import RallyAuth
import RallyPrivacy
import RallyProtocol

/// One message of a REST publish (`POST /api/broadcast…`), topic without `realtime:`.
public struct RESTMessage: Sendable {
    public var subtopic: String
    public var event: String
    public var payload: BroadcastPayload
    public var isPrivate: Bool
    public var meta: JSON?
    /// Text messages arrive as `broadcast` events; single binary posts may go out as kind-4 frames.
    public var preferBinary: Bool

    public init(subtopic: String, event: String, payload: BroadcastPayload, isPrivate: Bool, meta: JSON? = nil,
                preferBinary: Bool = false) {
        self.subtopic = subtopic
        self.event = event
        self.payload = payload
        self.isPrivate = isPrivate
        self.meta = meta
        self.preferBinary = preferBinary
    }

    var topic: String { TopicName.prefix + subtopic }
}

extension HubServices {
    /// A REST publish, decided by exactly the rules of the same user's broadcast on a joined socket: the per-user
    /// write limit, the authorizer's decision for the topic (with the `private` flag sent), its write right, then
    /// the topic's feeds (`carryOut`: reserved names refused, chat stored, typing limited) and, on group and plan
    /// topics, no delivery across a block with the sender. `service_role` publishes anywhere, as the server.
    /// Completes on `loop`, which must be one of the hub's loops.
    public func publish(_ message: RESTMessage, as identity: Identity, on loop: EventLoop)
        -> EventLoopFuture<WriteResult> {
        let envelope = BroadcastEnvelope(topic: message.topic, event: message.event, payload: message.payload,
                                         meta: message.meta, preferBinary: message.preferBinary)
        if identity.role == .serviceRole {
            hub.broadcast(envelope)
            return loop.makeSucceededFuture(.published)
        }
        let index = hub.loopIndex(of: loop)
        if let user = identity.subject, !userGates[index].admit(user) {
            return loop.makeSucceededFuture(.refused(
                .rateLimited, reason: "RateLimited: Too many messages per minute for this user", metric: "user_rate"))
        }
        let parsedTopic = try? Topic.parse(message.subtopic).get()
        return authorizer.authorize(topic: parsedTopic, subtopic: message.subtopic, identity: identity,
                                    isPrivate: message.isPrivate, on: loop).hop(to: loop).flatMap { [self] decision in
            switch decision {
            case .deny(let reason):
                return loop.makeSucceededFuture(.refused(.unauthorized, reason: reason, metric: "rest_unauthorized"))
            case .allow(let access) where !access.canWrite:
                return loop.makeSucceededFuture(.refused(.unauthorized, reason:
                    "Unauthorized: You do not have permissions to write to this Channel topic: \(message.subtopic)",
                    metric: "write_unauthorized"))
            case .allow:
                return write(message, topic: parsedTopic, envelope: envelope, as: identity, bucketsIndex: index,
                             on: loop)
            }
        }
    }

    /// The write policy comes from the parsed topic by the same function as a channel's (`WritePolicy.of`).
    private func write(_ message: RESTMessage, topic: Topic?, envelope: BroadcastEnvelope, as identity: Identity,
                       bucketsIndex: Int, on loop: EventLoop) -> EventLoopFuture<WriteResult> {
        var config = JoinConfig()
        config.isPrivate = message.isPrivate
        let join = FeedJoin(topic: message.topic, subtopic: message.subtopic, parsedTopic: topic,
                            writePolicy: .of(topic), identity: identity, config: config, subscriptionID: 0)
        let promise = loop.makePromise(of: WriteResult.self)
        let buckets = restWriteBuckets[bucketsIndex]
        carryOut(FeedWrite(join: join, event: message.event, payload: message.payload),
                 admit: { buckets.admit(user: identity.subject ?? "", topic: message.topic, limit: $0) },
                 fanOut: { event, payload in
                     // Every subscriber here is asked about blocks with the sender, as for a member's broadcast
                     // relayed from another node (their blocks are kept while they hold the channel).
                     let audience = feeds.audience(ofRemoteSender: identity.subject, topic: message.topic)
                     let envelope = BroadcastEnvelope(topic: envelope.topic, event: event, payload: payload,
                                                      meta: envelope.meta, preferBinary: envelope.preferBinary)
                     hub.broadcast(envelope, senderUser: identity.subject, audience: audience)
                 }, on: loop) { promise.succeed($0) }
        return promise.futureResult
    }
}

/// The per-channel write limits (typing, chat) for REST publishes, which have no channel: one bucket per user,
/// topic and limit, on one event loop. Bounded: past `maxEntries` the table starts again (every bucket full).
final class RESTWriteBuckets: @unchecked Sendable {
    private let loop: EventLoop
    private var buckets: [String: TokenBucket] = [:]
    let maxEntries = 10_000

    init(loop: EventLoop) {
        self.loop = loop
    }

    func admit(user: String, topic: String, limit: WriteLimit) -> Bool {
        loop.assertInEventLoop()
        let key = "\(user)\u{0}\(topic)\u{0}\(limit.name)"
        let now = NIODeadline.now()
        if buckets[key] == nil, buckets.count >= maxEntries { buckets.removeAll(keepingCapacity: true) }
        var bucket = buckets[key] ?? TokenBucket(burst: limit.burst, ratePerSecond: limit.perSecond, now: now)
        let admitted = bucket.tryTake(now: now)
        buckets[key] = bucket
        return admitted
    }
}
