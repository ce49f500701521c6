import NIOCore
import RallyProtocol

/// `presence` track/untrack (ANCHORS §3.3): replies, limits, and turning presence on when a channel joined
/// without it.
extension ClientConnection {
    func handlePresence(_ message: PhoenixMessage, channel: ChannelRegistry.Channel) {
        guard let subscription = channel.subscription else { return }
        switch message.payload["event"]?.stringValue?.lowercased() {
        case "track":
            track(message, channel: channel, subscription: subscription)
        case "untrack":
            services.hub.untrack(subscription)
            reply(to: message, payload: Replies.ok())
        default:
            reply(to: message, payload: Replies.errorWithoutReason())
        }
    }

    private func track(_ message: PhoenixMessage, channel: ChannelRegistry.Channel,
                       subscription: ChannelSubscription) {
        guard let meta = message.payload["payload"]?.objectValue else {
            reply(to: message, payload: Replies.error(reason: "Presence track payload must be a map"))
            return
        }
        guard channel.access?.canTrackPresence == true else {
            metrics.rejection("presence_unauthorized").increment()
            reply(to: message, payload: Replies.errorWithoutReason())
            return
        }
        let limits = services.limits
        guard presenceCalls.tryRecord(limit: limits.presenceCallsPerWindow, window: limits.presenceWindow,
                                      now: .now()) else {
            metrics.rejection("presence_rate").increment()
            closeChannel(channel, message: "Client presence rate limit exceeded")
            return
        }
        guard JSON.object(meta).encodedByteCount <= services.limits.maxPresenceMetaBytes else {
            metrics.rejection("presence_size").increment()
            closeChannel(channel, message: "Track message size exceeded")
            return
        }
        if !subscription.presenceEnabled { enablePresence(channel, subscription: subscription) }
        let audience = channel.feedJoin.flatMap { services.feeds.audience(of: $0, live: true) }
        services.hub.track(subscription, key: presenceKey(channel, subscription: subscription), meta: meta,
                           ref: PhxRef.next(), audience: audience)
        reply(to: message, payload: Replies.ok())
    }

    /// A track on a channel joined without presence turns it on: the socket gets `presence_state` first, so
    /// Phoenix's Presence (which buffers diffs until the state arrives) stays in sync.
    private func enablePresence(_ channel: ChannelRegistry.Channel, subscription: ChannelSubscription) {
        subscription.presenceEnabled = true
        services.hub.presenceState(topic: channel.topic, for: subscription, on: eventLoop).whenSuccess { [self] state in
            guard subscription.isActive, let current = registry.channel(channel.topic) else { return }
            push("presence_state", payload: state, on: current)
        }
    }

    /// The channel's `presence.key`, or a per-subscription key when the client gave none (with the node's id on a
    /// node of several: subscription ids are per process).
    private func presenceKey(_ channel: ChannelRegistry.Channel, subscription: ChannelSubscription) -> String {
        if let key = channel.config.presenceKey, !key.isEmpty { return key }
        let node = services.hub.nodeID
        return node == 0 ? "anon-\(subscription.id)" : "anon-\(String(node, radix: 16))-\(subscription.id)"
    }
}
