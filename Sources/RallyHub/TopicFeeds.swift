import NIOCore
import RallyAuth
import RallyPrivacy
import RallyProtocol

/// A joined channel as the live feeds see it.
public struct FeedJoin: Sendable {
    /// The whole topic (`realtime:event:…`) and the part after `realtime:`.
    public let topic: String
    public let subtopic: String
    /// The subtopic parsed (once, at join); nil when it claims a kind but is malformed.
    public let parsedTopic: Topic?
    /// What a client broadcast on this channel may do (`WritePolicy.of(parsedTopic)`, decided once at join).
    public let writePolicy: WritePolicy
    public let identity: Identity
    public let config: JoinConfig
    /// The subscription's id in the hub (stable for the channel's life).
    public let subscriptionID: UInt64

    public init(topic: String, subtopic: String, parsedTopic: Topic?, writePolicy: WritePolicy? = nil,
                identity: Identity, config: JoinConfig, subscriptionID: UInt64) {
        self.topic = topic
        self.subtopic = subtopic
        self.parsedTopic = parsedTopic
        self.writePolicy = writePolicy ?? .of(parsedTopic)
        self.identity = identity
        self.config = config
        self.subscriptionID = subscriptionID
    }

    /// Parses `subtopic` itself (for feeds and tests that build a join by hand; the hub passes what it parsed).
    public init(topic: String, subtopic: String, identity: Identity, config: JoinConfig, subscriptionID: UInt64) {
        self.init(topic: topic, subtopic: subtopic, parsedTopic: try? Topic.parse(subtopic).get(), identity: identity,
                  config: config, subscriptionID: subscriptionID)
    }

    /// The parsed topic when it names one of the identified kinds (event, group, …); nil for free-form rooms.
    public var identifiedTopic: Topic? {
        guard let parsedTopic, parsedTopic.kind != .freeForm else { return nil }
        return parsedTopic
    }
}

/// What a joiner gets before live traffic: history replay, unread notifications. Live messages that arrived
/// while it was being read are held and then delivered, except those whose `dedupeKey` is in `dedupeKeys`.
public struct JoinBacklog: Sendable {
    public var pushes: [BroadcastEnvelope]
    public var dedupeKeys: Set<String>

    public init(pushes: [BroadcastEnvelope] = [], dedupeKeys: Set<String> = []) {
        self.pushes = pushes
        self.dedupeKeys = dedupeKeys
    }

    public static let empty = JoinBacklog()
}

/// The outcome of making a topic's inputs live for one join.
public enum FeedJoinOutcome: Sendable {
    /// Inputs are live: acknowledge, then send the backlog, then the held live messages.
    case ready(JoinBacklog)
    /// The join cannot be served (bad replay parameters, database unreachable): refuse with this reason.
    case refused(String)
}

/// A rate limit on one kind of write, per channel: `name` keys its token bucket.
public struct WriteLimit: Sendable, Hashable {
    public var name: String
    public var perSecond: Double
    public var burst: Int

    public init(name: String, perSecond: Double, burst: Int) {
        self.name = name
        self.perSecond = perSecond
        self.burst = burst
    }
}

/// A client broadcast on a joined channel, before it is published.
public struct FeedWrite: Sendable {
    public let join: FeedJoin
    public let event: String
    public let payload: BroadcastPayload
}

/// What happens to a client broadcast.
public enum WriteDisposition: Sendable {
    /// An ordinary, ephemeral broadcast: fan out as-is.
    case publish
    /// Ephemeral, but past `limit` it is dropped silently (typing indicators).
    case publishLimited(WriteLimit)
    /// Refused with an error reply carrying `reason`.
    case refuse(String)
    /// Durable: within `limit`, `perform` stores it and the reply's response is the future's value (e.g. the
    /// stored id); the fanout comes from the store's change feed. A failed future becomes an error reply.
    case store(WriteLimit, perform: @Sendable (EventLoop) -> EventLoopFuture<JSON>)
    /// Taken over by the feed (location sharing): the feed's own message goes out in place of the client's (if
    /// any), from the same sender and with the same audience, and the write is answered `ok` with `response`
    /// whatever the channel's `ack` setting (as a stored write is).
    case rewrite(RewrittenWrite)
}

/// What a feed sends in place of a client broadcast, and its answer to the client.
public struct RewrittenWrite: Sendable {
    /// The event to fan out instead; nil: nothing goes out.
    public var event: String?
    public var payload: JSON
    public var response: JSON

    public init(event: String?, payload: JSON = .emptyObject, response: JSON = .emptyObject) {
        self.event = event
        self.payload = payload
        self.response = response
    }
}

/// The node's live inputs per topic (capacity, chat, notifications …): consulted on every join, leave and
/// client broadcast. Implementations must be thread-safe; the hub calls from socket loops.
public protocol TopicFeeds: Sendable {
    /// Called once the subscription is in the topic table (so nothing published from now on is missed), before
    /// the join is acknowledged. Deliveries to the subscription are held until the outcome is acted on.
    func join(_ join: FeedJoin, on loop: EventLoop) -> EventLoopFuture<FeedJoinOutcome>
    /// The channel is gone (leave, close, revocation, socket end): every `join` gets exactly one `leave`.
    func leave(_ join: FeedJoin)
    /// Decides what a client broadcast does.
    func write(_ write: FeedWrite) -> WriteDisposition
    /// Who may receive what the channel's user sends on it (its broadcasts, its presence); nil: everyone joined.
    /// With `live` the audience is asked at each delivery for as long as it is kept (a presence entry outlives the
    /// moment it was tracked); otherwise it may decide on the facts of now. Called on the socket's loop: no I/O.
    func audience(of join: FeedJoin, live: Bool) -> Audience?
    /// Who of this node's subscribers may receive what user `sender` of another node sent on `topic` (its
    /// broadcasts, its presence), decided at each delivery; nil: everyone joined. No I/O.
    func audience(ofRemoteSender sender: String?, topic: String) -> Audience?
    /// Whether every client broadcast on the channel is an ordinary one for everyone joined, for the channel's whole
    /// life: `write` answers `.publish` and `audience(of:live: false)` nil whatever the event and payload. Asked once,
    /// when the channel's join is authorized (its identity is then fixed: another subject or role closes it); the hub
    /// then publishes the channel's broadcasts without asking per message. False (the default) asks every time.
    func broadcastsAreOrdinary(_ join: FeedJoin) -> Bool
}

extension TopicFeeds {
    public func audience(of join: FeedJoin, live: Bool) -> Audience? { nil }
    public func audience(ofRemoteSender sender: String?, topic: String) -> Audience? { nil }
    public func broadcastsAreOrdinary(_ join: FeedJoin) -> Bool { false }
}

/// No live inputs: every join is ready at once, every write is an ordinary broadcast.
public struct NoFeeds: TopicFeeds {
    public init() {}

    public func join(_ join: FeedJoin, on loop: EventLoop) -> EventLoopFuture<FeedJoinOutcome> {
        loop.makeSucceededFuture(.ready(.empty))
    }

    public func leave(_ join: FeedJoin) {}

    public func write(_ write: FeedWrite) -> WriteDisposition { .publish }

    public func broadcastsAreOrdinary(_ join: FeedJoin) -> Bool { true }
}

/// The latest value of one named item of a topic (capacity counts, plan status): kept by the topic's shard and
/// sent to every new subscriber. A value replaces the kept one only when its `version` is higher.
public struct RetainedSlot: Sendable, Hashable {
    public var name: String
    public var version: UInt64

    public init(name: String, version: UInt64) {
        self.name = name
        self.version = version
    }
}
