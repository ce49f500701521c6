import NIOCore
import RallyAuth
import RallyPrivacy
import RallyProtocol

/// The channels of one socket, keyed by topic: which join is current, which are still being authorized, and where
/// an incoming message belongs. Pure value type (no I/O); the connection performs what it decides.
struct ChannelRegistry {
    enum Phase: Equatable { case joining, joined }

    struct Channel {
        // Ordered for the least padding (an idle socket keeps this record for each channel: 184 bytes a record,
        // 216 with the array's header, a 224-byte heap chunk): the 8-byte fields first, then each 17- or 9-byte
        // one (an optional's tag byte past a multiple of 8) followed by what fits in the 7 bytes left before the
        // next 8-byte boundary: one-byte-aligned fields and the two 4-byte counters.
        let topic: String
        /// The join's config, shared with the loop's other channels joined with the same (`LoopSharing`).
        let sharedConfig: SharedJoinConfig
        var identity: Identity?
        var subscription: ChannelSubscription?
        /// Token buckets of the rate-limited kinds of write on this channel (`WriteLimit.name`).
        var writeBuckets: [String: TokenBucket] = [:]
        /// The subtopic parsed once, at join (nil when it claims a kind but is malformed).
        let parsedTopic: Topic?
        /// What a client broadcast on this channel may do, decided with the parse (`WritePolicy.of`).
        let writePolicy: WritePolicy
        var access: TopicAccess?
        /// The feeds said, once the join was authorized, that every broadcast here is an ordinary one for everyone
        /// (`TopicFeeds.broadcastsAreOrdinary`): they are not asked per message. In the padding before `generation`:
        /// the record keeps its size.
        var broadcastsAreOrdinary = false
        /// Distinguishes successive joins of one topic, so a slow authorization cannot complete a replaced join.
        let generation: UInt32
        let joinRef: JSON?
        /// Counts the re-checks started on this channel: only the answer of the newest one is acted on, so an
        /// "allow" read before a later change can never win over the "deny" of a re-check started after it.
        var recheck: UInt32 = 0
        /// Where the join stands (`JoinStateMachine`): authorizing, subscribing, awaiting the feeds, joined.
        var join = JoinStateMachine()
        /// The fingerprint of the token the channel was authorized with (the join's `access_token`, else the
        /// connect token's): a refresh with the same token is ignored.
        var tokenFingerprint: TokenFingerprint?

        var config: JoinConfig { sharedConfig.value }

        var subtopic: String { String(topic.dropFirst(TopicName.prefix.count)) }

        /// Joined once authorized: the channel takes messages (and revocation decides it at once) from then on.
        var phase: Phase { join.isAuthorized ? .joined : .joining }

        /// Set once the live feeds were told of the join: they must be told of its end.
        var isFeedJoined: Bool { join.isFeedJoined }

        /// The live feeds' view of this channel once they were told of the join (built when needed, not kept:
        /// every field is the channel's own).
        var feedJoin: FeedJoin? { isFeedJoined ? feedView : nil }

        /// The subscription a client broadcast goes out on: nil unless the channel may write and the feeds were told
        /// of its join (when `feedJoin` is nil, so is this). Reads no more of the record than that.
        var writingSubscription: ChannelSubscription? {
            guard access?.canWrite == true, isFeedJoined, identity != nil else { return nil }
            return subscription
        }

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
        /// The channel's position in `channels`, valid until the registry next changes: the caller reads what it
        /// needs of the record there instead of copying all of it.
        case channel(index: Int)
        /// The topic is joined under another join_ref: the message belongs to an old join and is ignored.
        case staleJoinRef
        case notJoined
    }

    /// In join order. An array, not a dictionary: a socket holds a few channels (at most `maxChannelsPerSocket`),
    /// a linear search over them is cheap, and one channel costs one slot instead of a hash table's spare buckets
    /// (an idle socket with one channel saves ~500 bytes).
    private(set) var channels: [Channel] = []
    /// 32 bits: a socket would need 4 billion joins (at most `joinsPerSecond`) to wrap while one is pending.
    private var nextGeneration: UInt32 = 1
    /// What the last changes did to what `ChannelIndex` files the channels under (a join begun, authorized or
    /// completed, a channel gone), each derived from the channel record before and after: the connection files
    /// them and takes them away (empty, without storage, the rest of the time).
    private(set) var indexChanges: [IndexChange] = []

    struct IndexChange {
        let from: ChannelIndex.Filing?
        let to: ChannelIndex.Filing?
    }

    var count: Int { channels.count }

    mutating func takeIndexChanges() -> [IndexChange] {
        defer { indexChanges = [] }
        return indexChanges
    }

    private mutating func noteFiling(from old: ChannelIndex.Filing?, to new: ChannelIndex.Filing?) {
        if old != new { indexChanges.append(IndexChange(from: old, to: new)) }
    }

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
        guard let index = index(of: topic), channels[index].phase == .joined else { return .notJoined }
        if let joinRef, joinRef != channels[index].joinRef { return .staleJoinRef }
        return .channel(index: index)
    }

    func channel(_ topic: String) -> Channel? { index(of: topic).map { channels[$0] } }

    /// What a client broadcast on the channel at `index` (`Route.channel`) needs of it: its subscription when it may
    /// write (`Channel.writingSubscription`), whether it asked for acks, and whether its broadcasts are ordinary.
    func broadcastSender(at index: Int) -> (subscription: ChannelSubscription, wantsAck: Bool, ordinary: Bool)? {
        guard let subscription = channels[index].writingSubscription else { return nil }
        return (subscription, channels[index].sharedConfig.value.broadcastAck, channels[index].broadcastsAreOrdinary)
    }

    /// Registers a join in progress and returns its generation.
    mutating func beginJoin(topic: String, joinRef: JSON?, config: SharedJoinConfig,
                            tokenFingerprint: TokenFingerprint? = nil) -> UInt32 {
        let generation = nextGeneration
        nextGeneration &+= 1
        let subtopic = topic.dropFirst(TopicName.prefix.count)
        let parsedTopic = try? Topic.parse(String(subtopic)).get()
        let channel = Channel(topic: topic, sharedConfig: config, parsedTopic: parsedTopic, writePolicy: .of(parsedTopic),
                              generation: generation, joinRef: joinRef, tokenFingerprint: tokenFingerprint)
        if let index = index(of: topic) {
            noteFiling(from: channels[index].filing, to: nil)
            channels[index] = channel
        } else {
            channels.append(channel)
        }
        noteFiling(from: nil, to: .joining)
        return generation
    }

    /// True while `generation` is still the topic's current join (not left, replaced or closed meanwhile).
    func isCurrent(topic: String, generation: UInt32) -> Bool {
        channel(topic)?.generation == generation
    }

    /// Feeds `input` to the join `generation` of `topic`: nil when that join is no longer the topic's current one
    /// (its end already undid what it held), else the channel as updated and the actions to perform.
    mutating func step(topic: String, generation: UInt32,
                       _ input: JoinStateMachine.Input) -> (channel: Channel, actions: [JoinStateMachine.Action])? {
        guard let index = index(of: topic), channels[index].generation == generation else { return nil }
        let wasAuthorized = channels[index].join.isAuthorized
        let actions = channels[index].join.receive(input)
        if channels[index].join.isAuthorized != wasAuthorized {
            noteFiling(from: channels[index].filing(joined: wasAuthorized), to: channels[index].filing)
        }
        return (channels[index], actions)
    }

    /// Stores what authorization gave the join (`JoinStateMachine.Action.subscribe`); `broadcastsAreOrdinary` is the
    /// feeds' answer for the channel's view (`TopicFeeds.broadcastsAreOrdinary`), kept for its life.
    mutating func completeJoin(topic: String, generation: UInt32, identity: Identity, access: TopicAccess,
                               subscription: ChannelSubscription,
                               broadcastsAreOrdinary: (FeedJoin) -> Bool = { _ in false }) -> Bool {
        guard let index = index(of: topic), channels[index].generation == generation else { return false }
        let filed = channels[index].filing
        if !channels[index].join.isAuthorized { _ = channels[index].join.receive(.authorized(identity, access)) }
        channels[index].identity = identity
        channels[index].access = access
        channels[index].subscription = subscription
        channels[index].broadcastsAreOrdinary = channels[index].feedView.map(broadcastsAreOrdinary) ?? false
        noteFiling(from: filed, to: channels[index].filing)
        return true
    }

    mutating func updateCredentials(topic: String, tokenFingerprint: TokenFingerprint, identity: Identity,
                                    access: TopicAccess) {
        guard let index = index(of: topic) else { return }
        let filed = channels[index].filing
        channels[index].tokenFingerprint = tokenFingerprint
        channels[index].identity = identity
        channels[index].access = access
        noteFiling(from: filed, to: channels[index].filing)  // unchanged: another subject closes the channel
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
    mutating func beginRecheck(topic: String) -> UInt32? {
        guard let index = index(of: topic) else { return nil }
        channels[index].recheck &+= 1
        return channels[index].recheck
    }

    /// True while `recheck` is the newest re-check started on the topic's channel.
    func isNewestRecheck(topic: String, recheck: UInt32) -> Bool {
        channel(topic)?.recheck == recheck
    }

    @discardableResult
    mutating func remove(topic: String) -> Channel? {
        guard let index = index(of: topic) else { return nil }
        let channel = channels.remove(at: index)
        noteFiling(from: channel.filing, to: nil)
        return channel
    }

    mutating func removeAll() -> [Channel] {
        for channel in channels { noteFiling(from: channel.filing, to: nil) }
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
