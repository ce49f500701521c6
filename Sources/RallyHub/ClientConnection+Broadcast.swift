import NIOCore
import RallyProtocol

/// Client broadcasts, as text (`broadcast` event) or as binary kind-3 pushes (ANCHORS §3.2–3.3).
extension ClientConnection {
    func handleBroadcast(_ message: PhoenixMessage, channelAt index: Int, size: Int) {
        guard let body = message.payload.objectValue, let event = body["event"]?.stringValue else {
            reply(to: message, payload: Replies.error(reason: "InvalidBroadcast: payload must be {\"type\":\"broadcast\",\"event\":<string>,\"payload\":<object>}"))
            return
        }
        // Kept as the client's compact text when it came so (`InboundDecoder.decodeTextKeepingUserPayload`).
        let userPayload = message.userPayloadText.map(BroadcastPayload.jsonText)
            ?? .json(body["payload"] ?? .emptyObject)
        publish(event: event, payload: userPayload, preferBinary: false, size: size, channelAt: index,
                sender: ReplyAddress(message))
    }

    func handleUserBroadcast(_ push: UserBroadcastPush, size: Int) {
        switch registry.route(topic: push.topic, joinRef: push.joinRef) {
        case .staleJoinRef:
            return
        case .notJoined:
            send(OutboundMessage(joinRef: push.joinRef, ref: push.ref, topic: push.topic, event: "phx_reply",
                                 payload: Replies.error(reason: "unmatched topic")))
        case .channel(let index):
            let sender = ReplyAddress(joinRef: push.joinRef, ref: push.ref, topic: push.topic)
            guard admitMessage(sender, channelAt: index) else { return }
            publish(event: push.userEvent, payload: push.payload, preferBinary: true, size: size, channelAt: index,
                    sender: sender)
        }
    }

    /// Checks size and write rights, lets the topic's feeds decide (ephemeral, rate-limited, refused or stored;
    /// `HubServices.carryOut`, shared with the REST API), fans out, and acknowledges when the channel asked for
    /// acks. A write the channel may not make is dropped silently, even with `ack` (as Supabase does for private
    /// channels); an oversized one is refused with a reason. A channel whose broadcasts the feeds called ordinary at
    /// join (`TopicFeeds.broadcastsAreOrdinary`) publishes without asking them.
    private func publish(event: String, payload: BroadcastPayload, preferBinary: Bool, size: Int, channelAt index: Int,
                         sender: ReplyAddress) {
        guard size <= services.limits.maxBroadcastPayloadBytes else {
            metrics.rejection("payload_size").increment()
            reply(to: sender, payload: Replies.error(reason: "PayloadTooLarge: payload_size_exceeded"))
            return
        }
        // The pieces of the record this needs, read before the fanout (which may end the socket, and its registry).
        guard let (subscription, wantsAck, ordinary) = registry.broadcastSender(at: index) else {
            metrics.rejection("write_unauthorized").increment()
            return
        }
        guard !ordinary else {
            fanOut(event: event, payload: payload, preferBinary: preferBinary, subscription: subscription,
                   audience: nil)
            if wantsAck { reply(to: sender, payload: Replies.ok()) }
            return
        }
        guard let feedJoin = registry.channels[index].feedJoin else { return }
        // A free-form room's feeds publish what was sent without looking inside: a kept text goes out as it came.
        // Every other policy may check the payload: it gets the tree.
        let write = FeedWrite(join: feedJoin, event: event,
                              payload: feedJoin.writePolicy == .freeForm ? payload : payload.withTree)
        let topic = subscription.topic
        services.carryOut(write,
                          admit: { limit in registry.admitWrite(topic: topic, limit: limit, now: .now()) },
                          fanOut: { event, payload in
                              fanOut(event: event, payload: payload, preferBinary: preferBinary,
                                     subscription: subscription,
                                     audience: services.feeds.audience(of: feedJoin, live: false))
                          }, on: eventLoop) { [self] result in
            switch result {
            case .published:
                if wantsAck { reply(to: sender, payload: Replies.ok()) }
            case .stored(let response):
                metrics.broadcastsPublished.increment()
                reply(to: sender, payload: Replies.ok(response))
            case .answered(let response):
                reply(to: sender, payload: Replies.ok(response))
            case .dropped(let metric):
                metrics.rejection(metric).increment()
            case .refused(_, let reason, let metric):
                metrics.rejection(metric).increment()
                reply(to: sender, payload: Replies.error(reason: reason))
            }
        }
    }

    /// `audience`: who may receive it (not across a block with the sender on group and plan topics); nil: everyone.
    private func fanOut(event: String, payload: BroadcastPayload, preferBinary: Bool,
                        subscription: ChannelSubscription, audience: Audience?) {
        let envelope = BroadcastEnvelope(topic: subscription.topic, event: event, payload: payload, meta: nil,
                                         preferBinary: preferBinary)
        services.hub.broadcast(envelope, senderID: subscription.id, senderUser: subscription.userID,
                               audience: audience)
        metrics.broadcastsPublished.increment()
    }
}
