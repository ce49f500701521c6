import NIOCore
import RallyProtocol

/// Client broadcasts, as text (`broadcast` event) or as binary kind-3 pushes (ANCHORS §3.2–3.3).
extension ClientConnection {
    func handleBroadcast(_ message: PhoenixMessage, channel: ChannelRegistry.Channel, size: Int) {
        guard let body = message.payload.objectValue, let event = body["event"]?.stringValue else {
            reply(to: message, payload: Replies.error(reason: "InvalidBroadcast: payload must be {\"type\":\"broadcast\",\"event\":<string>,\"payload\":<object>}"))
            return
        }
        // Kept as the client's compact text when it came so (`InboundDecoder.decodeTextKeepingUserPayload`).
        let userPayload = message.userPayloadText.map(BroadcastPayload.jsonText)
            ?? .json(body["payload"] ?? .emptyObject)
        publish(event: event, payload: userPayload, meta: nil, preferBinary: false, size: size,
                channel: channel, ack: { payload in self.reply(to: message, payload: payload) })
    }

    func handleUserBroadcast(_ push: UserBroadcastPush, size: Int) {
        switch registry.route(topic: push.topic, joinRef: push.joinRef) {
        case .staleJoinRef:
            return
        case .notJoined:
            send(OutboundMessage(joinRef: push.joinRef, ref: push.ref, topic: push.topic, event: "phx_reply",
                                 payload: Replies.error(reason: "unmatched topic")))
        case .channel(let channel):
            let asMessage = PhoenixMessage(joinRef: push.joinRef, ref: push.ref, topic: push.topic,
                                           event: "broadcast", payload: .emptyObject)
            guard admitMessage(asMessage, channel: channel) else { return }
            publish(event: push.userEvent, payload: push.payload, meta: nil, preferBinary: true, size: size,
                    channel: channel, ack: { [self] payload in reply(to: asMessage, payload: payload) })
        }
    }

    /// Checks size and write rights, lets the topic's feeds decide (ephemeral, rate-limited, refused or stored;
    /// `HubServices.carryOut`, shared with the REST API), fans out, and acknowledges when the channel asked for
    /// acks. A write the channel may not make is dropped silently, even with `ack` (as Supabase does for private
    /// channels); an oversized one is refused with a reason.
    private func publish(event: String, payload: BroadcastPayload, meta: JSON?, preferBinary: Bool, size: Int,
                         channel: ChannelRegistry.Channel, ack: @escaping (JSON) -> Void) {
        guard size <= services.limits.maxBroadcastPayloadBytes else {
            metrics.rejection("payload_size").increment()
            ack(Replies.error(reason: "PayloadTooLarge: payload_size_exceeded"))
            return
        }
        guard channel.access?.canWrite == true, let subscription = channel.subscription,
              let feedJoin = channel.feedJoin else {
            metrics.rejection("write_unauthorized").increment()
            return
        }
        // A free-form room's feeds publish what was sent without looking inside: a kept text goes out as it came.
        // Every other policy may check the payload: it gets the tree.
        let write = FeedWrite(join: feedJoin, event: event,
                              payload: channel.writePolicy == .freeForm ? payload : payload.withTree)
        // The completion keeps what it needs, not a copy of the channel (one retain per field, per message).
        let wantsAck = channel.config.broadcastAck
        services.carryOut(write,
                          admit: { limit in registry.admitWrite(topic: channel.topic, limit: limit, now: .now()) },
                          fanOut: { event, payload in
                              fanOut(event: event, payload: payload, meta: meta, preferBinary: preferBinary,
                                     topic: channel.topic, subscription: subscription, feedJoin: feedJoin)
                          }, on: eventLoop) { [self] result in
            switch result {
            case .published:
                if wantsAck { ack(Replies.ok()) }
            case .stored(let response):
                metrics.broadcastsPublished.increment()
                ack(Replies.ok(response))
            case .answered(let response):
                ack(Replies.ok(response))
            case .dropped(let metric):
                metrics.rejection(metric).increment()
            case .refused(_, let reason, let metric):
                metrics.rejection(metric).increment()
                ack(Replies.error(reason: reason))
            }
        }
    }

    private func fanOut(event: String, payload: BroadcastPayload, meta: JSON?, preferBinary: Bool,
                        topic: String, subscription: ChannelSubscription, feedJoin: FeedJoin) {
        // Who may receive it (not across a block with the sender on group and plan topics); nil: everyone.
        let audience = services.feeds.audience(of: feedJoin, live: false)
        let envelope = BroadcastEnvelope(topic: topic, event: event, payload: payload, meta: meta,
                                         preferBinary: preferBinary)
        services.hub.broadcast(envelope, senderID: subscription.id, senderUser: subscription.userID,
                               audience: audience)
        metrics.broadcastsPublished.increment()
    }
}
