import NIOCore
import RallyAuth
import RallyPrivacy
import RallyProtocol

/// The channels of one socket, keyed by topic: which join is current, which are still being authorized, and where
/// an incoming message belongs. Pure value type (no I/O); the connection performs what it decides.
struct ChannelRegistry {
    enum Phase: Equatable { case joining, joined }

    struct Channel {
        // Wider fields first, one-byte ones last: an idle socket keeps this record for each channel, and this
        // order leaves the least padding between fields.
        let topic: String
        /// The subtopic parsed once, at join (nil when it claims a kind but is malformed).
        let parsedTopic: Topic?
        let joinRef: JSON?
        /// Distinguishes successive joins of one topic, so a slow authorization cannot complete a replaced join.
        let generation: UInt64
        /// Where the join stands (`JoinStateMachine`): authorizing, subscribing, awaiting the feeds, joined.
        var join = JoinStateMachine()
        /// The join's config, shared with the loop's other channels joined with the same (`LoopSharing`).
        let sharedConfig: SharedJoinConfig
        var identity: Identity?
        var subscription: ChannelSubscription?
        /// Token buckets of the rate-limited kinds of write on this channel (`WriteLimit.name`).
        var writeBuckets: [String: TokenBucket] = [:]
        /// Counts the re-checks started on this channel: only the answer of the newest one is acted on, so an
        /// "allow" read before a later change can never win over the "deny" of a re-check started after it.
        var recheck: UInt64 = 0
        /// The fingerprint of the token the channel was authorized with (the join's `access_token`, else the
        /// connect token's): a refresh with the same token is ignored.
        var tokenFingerprint: TokenFingerprint?
        /// What a client broadcast on this channel may do, decided with the parse (`WritePolicy.of`).
        let writePolicy: WritePolicy
        var access: TopicAccess?

        var config: JoinConfig { sharedConfig.value }

        var subtopic: String { String(topic.dropFirst(TopicName.prefix.count)) }

        /// Joined once authorized: the channel takes messages (and revocation decides it at once) from then on.
        var phase: Phase { join.isAuthorized ? .joined : .joining }

        /// Set once the live feeds were told of the join: they must be told of its end.
        var isFeedJoined: Bool { join.isFeedJoined }

        /// The live feeds' view of this channel once they were told of the join (built when needed, not kept:
        /// every field is the channel's own).
        var feedJoin: FeedJoin? { isFeedJoined ? feedView : nil }

        /// The feeds' view of this channel whether or not they were told of it (the machine says whether they were).
        var feedView: FeedJoin? {
            guard let identity, let subscription else { return nil }
            return FeedJoin(topic: topic, subtopic: subtopic, parsedTopic: parsedTopic, writePolicy: writePolicy,
                            identity: identity,
                            config: config, subscriptionID: subscription.id)
        }
    }

    /// Where an incoming message goes.
    enum Route {
        case channel(Channel)
        /// The topic is joined under another join_ref: the message belongs to an old join and is ignored.
        case staleJoinRef
        case notJoined
    }

    /// In join order. An array, not a dictionary: a socket holds a few channels (at most `maxChannelsPerSocket`),
    /// a linear search over them is cheap, and one channel costs one slot instead of a hash table's spare buckets
    /// (an idle socket with one channel saves ~500 bytes).
    private(set) var channels: [Channel] = []
    private var nextGeneration: UInt64 = 1
    /// Changes whenever what `ChannelIndex` files this socket under may have changed (a join begun or completed,
    /// a channel gone, new credentials), so the connection re-files it only then.
    private(set) var indexVersion: UInt64 = 0

    var count: Int { channels.count }

    private func index(of topic: String) -> Int? {
        channels.firstIndex { $0.topic == topic }
    }

    /// Applies `change` to the topic's channel, if there is one.
    private mutating func modify(_ topic: String, _ change: (inout Channel) -> Void) {
        guard let index = index(of: topic) else { return }
        change(&channels[index])
    }

    /// A message without a join_ref is accepted for a joined topic (as Supabase's Phoenix fork does);
    /// one with a different join_ref is stale.
    func route(topic: String, joinRef: JSON?) -> Route {
        guard let channel = channel(topic), channel.phase == .joined else { return .notJoined }
        if let joinRef, joinRef != channel.joinRef { return .staleJoinRef }
        return .channel(channel)
    }

    func channel(_ topic: String) -> Channel? { index(of: topic).map { channels[$0] } }

    /// Registers a join in progress and returns its generation.
    mutating func beginJoin(topic: String, joinRef: JSON?, config: SharedJoinConfig,
                            tokenFingerprint: TokenFingerprint? = nil) -> UInt64 {
        let generation = nextGeneration
        nextGeneration += 1
        let subtopic = topic.dropFirst(TopicName.prefix.count)
        let parsedTopic = try? Topic.parse(String(subtopic)).get()
        let channel = Channel(topic: topic, parsedTopic: parsedTopic, joinRef: joinRef, generation: generation,
                              sharedConfig: config, tokenFingerprint: tokenFingerprint, writePolicy: .of(parsedTopic))
        if let index = index(of: topic) { channels[index] = channel } else { channels.append(channel) }
        indexVersion &+= 1
        return generation
    }

    /// True while `generation` is still the topic's current join (not left, replaced or closed meanwhile).
    func isCurrent(topic: String, generation: UInt64) -> Bool {
        channel(topic)?.generation == generation
    }

    /// Feeds `input` to the join `generation` of `topic`: nil when that join is no longer the topic's current one
    /// (its end already undid what it held), else the channel as updated and the actions to perform.
    mutating func step(topic: String, generation: UInt64,
                       _ input: JoinStateMachine.Input) -> (channel: Channel, actions: [JoinStateMachine.Action])? {
        guard let index = index(of: topic), channels[index].generation == generation else { return nil }
        let wasAuthorized = channels[index].join.isAuthorized
        let actions = channels[index].join.receive(input)
        if channels[index].join.isAuthorized != wasAuthorized { indexVersion &+= 1 }
        return (channels[index], actions)
    }

    /// Stores what authorization gave the join (`JoinStateMachine.Action.subscribe`).
    mutating func completeJoin(topic: String, generation: UInt64, identity: Identity, access: TopicAccess,
                               subscription: ChannelSubscription) -> Bool {
        guard let index = index(of: topic), channels[index].generation == generation else { return false }
        if !channels[index].join.isAuthorized { _ = channels[index].join.receive(.authorized(identity, access)) }
        channels[index].identity = identity
        channels[index].access = access
        channels[index].subscription = subscription
        indexVersion &+= 1
        return true
    }

    mutating func updateCredentials(topic: String, tokenFingerprint: TokenFingerprint, identity: Identity,
                                    access: TopicAccess) {
        modify(topic) { channel in
            channel.tokenFingerprint = tokenFingerprint
            channel.identity = identity
            channel.access = access
        }
        indexVersion &+= 1
    }

    /// Takes a token from the channel's bucket for `limit` (created full on first use); false when over it.
    mutating func admitWrite(topic: String, limit: WriteLimit, now: NIODeadline) -> Bool {
        guard let index = index(of: topic) else { return false }
        var bucket = channels[index].writeBuckets[limit.name]
            ?? TokenBucket(burst: limit.burst, ratePerSecond: limit.perSecond, now: now)
        let admitted = bucket.tryTake(now: now)
        channels[index].writeBuckets[limit.name] = bucket
        return admitted
    }

    mutating func updateAccess(topic: String, access: TopicAccess) {
        modify(topic) { $0.access = access }
    }

    /// Starts a re-check of the topic's channel: returns its number (nil when there is no such channel).
    mutating func beginRecheck(topic: String) -> UInt64? {
        guard let index = index(of: topic) else { return nil }
        channels[index].recheck &+= 1
        return channels[index].recheck
    }

    /// True while `recheck` is the newest re-check started on the topic's channel.
    func isNewestRecheck(topic: String, recheck: UInt64) -> Bool {
        channel(topic)?.recheck == recheck
    }

    @discardableResult
    mutating func remove(topic: String) -> Channel? {
        guard let index = index(of: topic) else { return nil }
        indexVersion &+= 1
        return channels.remove(at: index)
    }

    mutating func removeAll() -> [Channel] {
        indexVersion &+= 1
        defer { channels.removeAll() }
        return channels
    }

    /// Joined channels whose identity expired at or before `now`.
    func expired(at now: Double) -> [Channel] {
        channels.filter { channel in
            guard channel.phase == .joined, let identity = channel.identity else { return false }
            return identity.expiresAt.timeIntervalSince1970 <= now
        }
    }

    /// The earliest expiry among joined channels.
    var nextExpiry: Double? {
        channels.compactMap { $0.identity?.expiresAt.timeIntervalSince1970 }.min()
    }
}

/// Topic naming: every Supabase channel topic is `realtime:<subtopic>` (what the subtopic means is
/// `RallyPrivacy.Topic`, parsed once at join).
public enum TopicName {
    public static let prefix = "realtime:"
}
