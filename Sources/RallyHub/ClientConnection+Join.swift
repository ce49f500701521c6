import NIOCore
import RallyAuth
import RallyProtocol

/// `phx_join` and `phx_leave` (ANCHORS §3.3: order of checks, reply shapes, duplicate joins).
extension ClientConnection {
    func handleJoin(_ message: PhoenixMessage, size: Int) {
        let topic = message.topic
        guard topic.hasPrefix(TopicName.prefix) else {
            reply(to: message, payload: Replies.error(reason: "unmatched topic"))
            return
        }
        if let refusal = joinRefusal(topic: topic) ?? sizeRefusal(message, size: size) {
            refuseJoin(message, reason: refusal.reason, metric: refusal.metric)
            return
        }
        if let existing = registry.channel(topic) {
            sendClose(topic: topic, joinRef: existing.joinRef)
            removeChannel(topic: topic)
        }
        guard registry.count < services.limits.maxChannelsPerSocket else {
            refuseJoin(message, reason: "ChannelRateLimitReached: Too many channels", metric: "too_many_channels")
            return
        }
        var config = JoinConfig.parse(message.payload)
        if config.accessToken == connectToken { config.accessToken = connectToken }  // one copy of the text, not two
        let token = config.accessToken ?? connectToken
        let generation = registry.beginJoin(topic: topic, joinRef: message.joinRef, config: config, token: token)
        verifyAndAuthorize(token: token, subtopic: String(topic.dropFirst(TopicName.prefix.count)),
                           isPrivate: config.isPrivate).whenSuccess { [self] outcome in
            guard registry.isCurrent(topic: topic, generation: generation) else { return }
            switch outcome {
            case .failure(let reason, let metric):
                registry.remove(topic: topic)
                refuseJoin(message, reason: reason, metric: metric)
            case .success(let identity, let access):
                subscribe(message, generation: generation, identity: identity, access: access)
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
        if !joinBucket.tryTake(now: .now()) {
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

    private func subscribe(_ message: PhoenixMessage, generation: UInt64, identity: Identity, access: TopicAccess) {
        let topic = message.topic
        guard let config = registry.channel(topic)?.config else { return }
        let subscription = ChannelSubscription(
            id: services.hub.makeSubscriptionID(), topic: topic, joinRef: message.joinRef, version: version,
            eventLoop: eventLoop, loopIndex: loopIndex, broadcastSelf: config.broadcastSelf,
            presenceEnabled: config.presenceEnabled, userID: identity.subject,
            isServiceRole: identity.role == .serviceRole)
        subscription.connection = self
        _ = registry.completeJoin(topic: topic, generation: generation, identity: identity, access: access,
                                  subscription: subscription)
        metrics.joins.increment()
        metrics.channels.increment()
        services.hub.subscribe(subscription, withPresenceState: config.presenceEnabled).whenComplete { [self] result in
            guard subscription.isActive, registry.isCurrent(topic: topic, generation: generation) else { return }
            guard case .success(let state) = result else {
                removeChannel(topic: topic)
                refuseJoin(message, reason: "BusUnavailable: the bus between nodes is unreachable, please retry",
                           metric: "bus_unavailable")
                return
            }
            let feedJoin = FeedJoin(topic: topic, subtopic: String(topic.dropFirst(TopicName.prefix.count)),
                                    parsedTopic: registry.channel(topic)?.parsedTopic, identity: identity,
                                    config: config, subscriptionID: subscription.id)
            registry.markFeedJoined(topic: topic)
            services.feeds.join(feedJoin, on: eventLoop).hop(to: eventLoop).whenComplete { [self] outcome in
                guard subscription.isActive, registry.isCurrent(topic: topic, generation: generation) else { return }
                switch outcome {
                case .success(.ready(let backlog)) where state != nil:
                    // Read again once the feed join is done: on a group or plan, presence tracked on other nodes
                    // is shown only to a viewer whose blocks are known, and this join is what reads them.
                    let reread = services.hub.presenceState(topic: topic, for: subscription, on: eventLoop)
                    reread.whenSuccess { [self] now in
                        guard subscription.isActive, registry.isCurrent(topic: topic, generation: generation) else {
                            return
                        }
                        acknowledge(message, subscription: subscription, presenceState: now, backlog: backlog)
                    }
                case .success(.ready(let backlog)):
                    acknowledge(message, subscription: subscription, presenceState: nil, backlog: backlog)
                case .success(.refused(let reason)):
                    removeChannel(topic: topic)
                    refuseJoin(message, reason: reason, metric: "feed_refused")
                case .failure:
                    removeChannel(topic: topic)
                    refuseJoin(message, reason: "Unknown Error on Channel", metric: "feed_failed")
                }
            }
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
        if let joined = registry.channel(topic), joined.recheckAfterJoin {
            _ = revalidate(joined)
        }
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
