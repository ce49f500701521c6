import NIOCore
import RallyAuth
import RallyProtocol

/// `phx_join` and `phx_leave` (ANCHORS §3.3: order of checks, reply shapes, duplicate joins).
extension ClientConnection {
    func handleJoin(_ received: PhoenixMessage, size: Int) {
        guard received.topic.hasPrefix(TopicName.prefix) else {
            reply(to: received, payload: Replies.error(reason: "unmatched topic"))
            return
        }
        if let refusal = joinRefusal(topic: received.topic) ?? sizeRefusal(received, size: size) {
            refuseJoin(received, reason: refusal.reason, metric: refusal.metric)
            return
        }
        var message = received  // the topic's name as the loop's channels share it (its length is checked above)
        message.topic = services.connections.sharing[loopIndex].topicName(received.topic)
        let topic = message.topic
        if let existing = registry.channel(topic) {
            sendClose(topic: topic, joinRef: existing.joinRef)
            removeChannel(topic: topic)
        }
        guard registry.count < services.limits.maxChannelsPerSocket else {
            refuseJoin(message, reason: "ChannelRateLimitReached: Too many channels", metric: "too_many_channels")
            return
        }
        var config = JoinConfig.parse(message.payload)
        let token = config.accessToken  // nil: the connect token's identity
        config.accessToken = nil  // the channel keeps the token's fingerprint, not its text
        let fingerprint = token.map(TokenFingerprint.init) ?? connectTokenFingerprint
        let generation = registry.beginJoin(topic: topic, joinRef: message.joinRef,
                                            config: services.connections.sharing[loopIndex].joinConfig(config),
                                            tokenFingerprint: fingerprint)
        let join = JoinInProgress(message: message, generation: generation)
        verifyAndAuthorize(token: token, topic: registry.channel(topic)?.parsedTopic,
                           subtopic: String(topic.dropFirst(TopicName.prefix.count)), isPrivate: config.isPrivate).whenSuccess { [self] outcome in
            switch outcome {
            case .failure(let reason, let metric): advance(join, .refused(reason: reason, metric: metric))
            case .success(let identity, let access): advance(join, .authorized(identity, access))
            }
        }
    }

    private func joinRefusal(topic: String) -> (reason: String, metric: String)? {
        if services.isDraining {
            return ("RealtimeRestarting: Realtime is restarting, please standby", "draining")
        }
        if topic.count == TopicName.prefix.count {
            return ("TopicNameRequired: You must provide a topic name", "topic_name")
        }
        if topic.utf8.count - TopicName.prefix.utf8.count > services.limits.maxTopicBytes {
            return ("TopicNameTooLong: Topic name is longer than \(services.limits.maxTopicBytes) bytes",
                    "topic_length")
        }
        let joinRate = Double(services.limits.joinsPerSecond)
        if !joinLevel.tryTake(burst: joinRate, ratePerSecond: joinRate, now: .now()) {
            return ("ClientJoinRateLimitReached: Too many joins per second", "join_rate")
        }
        return nil
    }

    /// An error reply after the configured delay (damps client retry loops, as Supabase does). The delayed reply
    /// keeps only what it echoes (join_ref, ref, topic) and the reason, never the join's payload.
    func refuseJoin(_ message: PhoenixMessage, reason: String, metric: String) {
        metrics.rejection(metric).increment()
        let refusal = OutboundMessage(joinRef: message.joinRef, ref: message.ref, topic: message.topic,
                                      event: "phx_reply", payload: Replies.error(reason: reason))
        let delay = services.limits.joinErrorDelay
        guard delay > .zero else {
            send(refusal)
            return
        }
        eventLoop.scheduleTask(in: delay) { [self] in send(refusal) }
    }
}

/// Runs `JoinStateMachine`: each completion of a join's asynchronous step is fed to the channel's machine, and the
/// connection performs the actions it returns. A completion for a join that is no longer current (left, replaced,
/// closed) finds no machine and does nothing: the join's end already undid what it held.
extension ClientConnection {
    /// What the steps of one join carry between them.
    struct JoinInProgress {
        let message: PhoenixMessage
        let generation: UInt32
        var topic: String { message.topic }
    }

    func advance(_ join: JoinInProgress, _ input: JoinStateMachine.Input) {
        guard let (channel, actions) = registry.step(topic: join.topic, generation: join.generation, input) else {
            return
        }
        if channel.join.isClosed { registry.remove(topic: join.topic) }
        for action in actions { perform(action, for: join, channel: channel) }
    }

    /// Performs one action of a channel's machine; `channel` is the channel as the step left it.
    func perform(_ action: JoinStateMachine.Action, for join: JoinInProgress?, channel: ChannelRegistry.Channel) {
        switch action {
        case .subscribe(let identity, let access):
            if let join { subscribe(join, identity: identity, access: access, config: channel.config) }
        case .startFeeds:
            if let join, let subscription = channel.subscription { startFeeds(join, subscription: subscription) }
        case .readPresence:
            if let join, let subscription = channel.subscription { readPresence(join, subscription: subscription) }
        case .acknowledge(let backlog, let presenceState):
            if let join, let subscription = channel.subscription {
                acknowledge(join.message, subscription: subscription, presenceState: presenceState, backlog: backlog)
            }
        case .recheckAccess:
            if let current = registry.channel(channel.topic), current.generation == channel.generation {
                _ = revalidate(current)
            }
        case .unsubscribe:
            guard let subscription = channel.subscription else { return }
            subscription.isActive = false
            subscription.connection = nil
            services.hub.unsubscribe(subscription)
            metrics.channels.decrement()
        case .leaveFeeds:
            if let feedJoin = channel.feedView { services.feeds.leave(feedJoin) }
        case .refuse(let reason, let metric):
            if let join { refuseJoin(join.message, reason: reason, metric: metric) }
        }
    }

    private func subscribe(_ join: JoinInProgress, identity: Identity, access: TopicAccess, config: JoinConfig) {
        let subscription = ChannelSubscription(
            id: services.hub.makeSubscriptionID(), topic: join.topic, joinRef: join.message.joinRef,
            version: version, eventLoop: eventLoop, loopIndex: loopIndex, broadcastSelf: config.broadcastSelf,
            presenceEnabled: config.presenceEnabled, userID: identity.subject,
            isServiceRole: identity.role == .serviceRole)
        subscription.connection = self
        _ = registry.completeJoin(topic: join.topic, generation: join.generation, identity: identity, access: access,
                                  subscription: subscription,
                                  broadcastsAreOrdinary: services.feeds.broadcastsAreOrdinary)
        metrics.joins.increment()
        metrics.channels.increment()
        services.hub.subscribe(subscription, withPresenceState: config.presenceEnabled).whenComplete { [self] result in
            guard subscription.isActive else { return }
            switch result {
            case .success(let state): advance(join, .subscribed(readsPresence: state != nil))
            case .failure: advance(join, .subscribeFailed)
            }
        }
    }

    private func startFeeds(_ join: JoinInProgress, subscription: ChannelSubscription) {
        guard let feedJoin = registry.channel(join.topic)?.feedJoin else { return }
        services.feeds.join(feedJoin, on: eventLoop).hop(to: eventLoop).whenComplete { [self] outcome in
            guard subscription.isActive else { return }
            switch outcome {
            case .success(.ready(let backlog)): advance(join, .feedsReady(backlog))
            case .success(.refused(let reason)): advance(join, .feedsRefused(reason: reason))
            case .failure: advance(join, .feedsFailed)
            }
        }
    }

    /// Read again once the feed join is done: on a group or plan, presence tracked on other nodes is shown only to
    /// a viewer whose blocks are known, and the feeds' join is what reads them.
    private func readPresence(_ join: JoinInProgress, subscription: ChannelSubscription) {
        services.hub.presenceState(topic: join.topic, for: subscription, on: eventLoop).whenSuccess { [self] now in
            guard subscription.isActive else { return }
            advance(join, .presenceRead(now))
        }
    }

    /// The join is live: the ok reply, `presence_state`, the backlog, then the live messages held meanwhile.
    private func acknowledge(_ message: PhoenixMessage, subscription: ChannelSubscription, presenceState: JSON?,
                             backlog: JoinBacklog) {
        let topic = message.topic
        guard let channel = registry.channel(topic) else { return }
        reply(to: message, payload: Replies.joinOK(postgresChanges: channel.config.postgresChanges))
        for envelope in backlog.pushes { sendBroadcast(envelope) }
        if let presenceState { push("presence_state", payload: presenceState, on: channel) }
        if subscription.release(skipping: backlog.dedupeKeys) {
            metrics.rejection("held_overflow").increment()
            closeChannel(channel, message: "BacklogOverflow: Too many messages while joining, please rejoin")
            return
        }
        scheduleExpiryCheck()
    }

    func handleLeave(_ message: PhoenixMessage) {
        let channel = registry.channel(message.topic)
        reply(to: message, payload: Replies.ok())
        guard let channel else { return }
        sendClose(topic: channel.topic, joinRef: channel.joinRef)
        removeChannel(topic: channel.topic)
    }
}

extension ClientConnection {
    /// The join message and its presence key are bounded, so that what a channel keeps is bounded too.
    fileprivate func sizeRefusal(_ message: PhoenixMessage, size: Int) -> (reason: String, metric: String)? {
        let limits = services.limits
        if size > limits.maxJoinBytes {
            return ("JoinPayloadTooLarge: Join message is larger than \(limits.maxJoinBytes) bytes", "join_size")
        }
        let key: String?
        switch message.payload.objectValue?["config"]?.objectValue?["presence"]?.objectValue?["key"] {
        case .string(let text)?, .number(let text)?: key = text
        default: key = nil
        }
        if let key, key.utf8.count > limits.maxPresenceKeyBytes {
            return ("PresenceKeyTooLong: Presence key is longer than \(limits.maxPresenceKeyBytes) bytes",
                    "presence_key_length")
        }
        return nil
    }
}
