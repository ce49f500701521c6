import NIOCore
import RallyAuth
import RallyProtocol

/// The channels of one socket, keyed by topic: which join is current, which are still being authorized, and where
/// an incoming message belongs. Pure value type (no I/O); the connection performs what it decides.
struct ChannelRegistry {
    enum Phase: Equatable { case joining, joined }

    struct Channel {
        let topic: String
        let joinRef: JSON?
        /// Distinguishes successive joins of one topic, so a slow authorization cannot complete a replaced join.
        let generation: UInt64
        var phase: Phase
        var config: JoinConfig
        var token: String?
        var identity: Identity?
        var access: TopicAccess?
        var subscription: ChannelSubscription?
        /// A change that may revoke access arrived while this join was being authorized: decide again once joined.
        var recheckAfterJoin = false
        /// Set once the live feeds were told of the join: they must be told of its end.
        var feedJoin: FeedJoin?
        /// Token buckets of the rate-limited kinds of write on this channel (`WriteLimit.name`).
        var writeBuckets: [String: TokenBucket] = [:]

        var subtopic: String { String(topic.dropFirst(Topic.prefix.count)) }
    }

    /// Where an incoming message goes.
    enum Route {
        case channel(Channel)
        /// The topic is joined under another join_ref: the message belongs to an old join and is ignored.
        case staleJoinRef
        case notJoined
    }

    private(set) var channels: [String: Channel] = [:]
    private var nextGeneration: UInt64 = 1

    var count: Int { channels.count }

    /// A message without a join_ref is accepted for a joined topic (as Supabase's Phoenix fork does);
    /// one with a different join_ref is stale.
    func route(topic: String, joinRef: JSON?) -> Route {
        guard let channel = channels[topic], channel.phase == .joined else { return .notJoined }
        if let joinRef, joinRef != channel.joinRef { return .staleJoinRef }
        return .channel(channel)
    }

    func channel(_ topic: String) -> Channel? { channels[topic] }

    /// Registers a join in progress and returns its generation.
    mutating func beginJoin(topic: String, joinRef: JSON?, config: JoinConfig, token: String?) -> UInt64 {
        let generation = nextGeneration
        nextGeneration += 1
        channels[topic] = Channel(topic: topic, joinRef: joinRef, generation: generation, phase: .joining,
                                  config: config, token: token)
        return generation
    }

    /// True while `generation` is still the topic's current join (not left, replaced or closed meanwhile).
    func isCurrent(topic: String, generation: UInt64) -> Bool {
        channels[topic]?.generation == generation
    }

    mutating func completeJoin(topic: String, generation: UInt64, identity: Identity, access: TopicAccess,
                               subscription: ChannelSubscription) -> Bool {
        guard var channel = channels[topic], channel.generation == generation else { return false }
        channel.phase = .joined
        channel.identity = identity
        channel.access = access
        channel.subscription = subscription
        channels[topic] = channel
        return true
    }

    mutating func updateCredentials(topic: String, token: String, identity: Identity, access: TopicAccess) {
        channels[topic]?.token = token
        channels[topic]?.identity = identity
        channels[topic]?.access = access
    }

    mutating func setFeedJoin(topic: String, _ join: FeedJoin) {
        channels[topic]?.feedJoin = join
    }

    /// Takes a token from the channel's bucket for `limit` (created full on first use); false when over it.
    mutating func admitWrite(topic: String, limit: WriteLimit, now: NIODeadline) -> Bool {
        guard channels[topic] != nil else { return false }
        var bucket = channels[topic]!.writeBuckets[limit.name]
            ?? TokenBucket(burst: limit.burst, ratePerSecond: limit.perSecond, now: now)
        let admitted = bucket.tryTake(now: now)
        channels[topic]!.writeBuckets[limit.name] = bucket
        return admitted
    }

    mutating func requestRecheck(topic: String) {
        channels[topic]?.recheckAfterJoin = true
    }

    mutating func updateAccess(topic: String, access: TopicAccess) {
        channels[topic]?.access = access
    }

    @discardableResult
    mutating func remove(topic: String) -> Channel? {
        channels.removeValue(forKey: topic)
    }

    mutating func removeAll() -> [Channel] {
        defer { channels.removeAll() }
        return Array(channels.values)
    }

    /// Joined channels whose identity expired at or before `now`.
    func expired(at now: Double) -> [Channel] {
        channels.values.filter { channel in
            guard channel.phase == .joined, let identity = channel.identity else { return false }
            return identity.expiresAt.timeIntervalSince1970 <= now
        }
    }

    /// The earliest expiry among joined channels.
    var nextExpiry: Double? {
        channels.values.compactMap { $0.identity?.expiresAt.timeIntervalSince1970 }.min()
    }
}

/// Topic naming: every Supabase channel topic is `realtime:<subtopic>`.
public enum Topic {
    public static let prefix = "realtime:"
}
