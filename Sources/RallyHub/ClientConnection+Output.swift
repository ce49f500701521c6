import NIOCore
import NIOWebSocket
import RallyProtocol
import RallyWebSocket

/// Everything a connection sends, and how channels and the socket end.
extension ClientConnection {
    /// `phx_reply` to `message`, echoing its ref and join_ref.
    func reply(to message: PhoenixMessage, payload: JSON) {
        reply(to: ReplyAddress(message), payload: payload)
    }

    /// `phx_reply` to the message `sender` was taken from.
    func reply(to sender: ReplyAddress, payload: JSON) {
        send(OutboundMessage(joinRef: sender.joinRef, ref: sender.ref, topic: sender.topic, event: "phx_reply",
                             payload: payload))
    }

    /// A channel push (`system`, `presence_state`): carries the join_ref, no ref.
    func push(_ event: String, payload: JSON, on channel: ChannelRegistry.Channel) {
        send(OutboundMessage(joinRef: channel.joinRef, ref: nil, topic: channel.topic, event: event, payload: payload))
    }

    func send(_ message: OutboundMessage) {
        transport?.send(OutboundEncoder.encode(message, version: version))
    }

    /// A broadcast for this socket alone (a join's backlog); v1 sockets skip binary payloads.
    func sendBroadcast(_ envelope: BroadcastEnvelope) {
        switch version {
        case .v1: if let frame = envelope.encodeV1() { transport?.send(frame) }
        case .v2: transport?.send(envelope.encodeV2())
        }
    }

    /// A fanout frame for this socket (called by `ChannelSubscription.deliver`).
    func deliver(_ frame: SharedFrame) {
        transport?.send(frame)
    }

    /// `phx_close` for a join: `ref` and `join_ref` both the join_ref (Phoenix `encode_close`).
    func sendClose(topic: String, joinRef: JSON?) {
        send(OutboundMessage(joinRef: joinRef, ref: joinRef, topic: topic, event: "phx_close", payload: .emptyObject))
    }

    /// Ends one channel from the server side: a `system` error with `message`, then `phx_close` (Supabase's
    /// `shutdown_response`), and the subscription and its presence go away.
    func closeChannel(_ channel: ChannelRegistry.Channel, message: String) {
        push("system", payload: Replies.system(ok: false, message: message, channel: channel.subtopic), on: channel)
        sendClose(topic: channel.topic, joinRef: channel.joinRef)
        removeChannel(topic: channel.topic)
    }

    /// Drops a channel's subscription without telling the client (it was told already, or left).
    func removeChannel(topic: String) {
        guard let channel = registry.remove(topic: topic) else { return }
        release(channel)
    }

    /// Takes a removed channel out of the hub and the live feeds: its join machine ends and says what to undo.
    private func release(_ channel: ChannelRegistry.Channel) {
        var join = channel.join
        for action in join.receive(.ended) { perform(action, for: nil, channel: channel) }
    }

    /// Closes the socket (drain, limits). The transport reports back through `sessionDidClose`.
    func closeSocket(code: WebSocketErrorCode, reason: String, cause: String) {
        metrics.closure(cause).increment()
        transport?.close(code: code, reason: reason)
    }

    /// The socket is gone: every channel unsubscribes (presence leaves), timers stop, the node forgets it.
    func detach() {
        eventLoop.assertInEventLoop()
        guard transport != nil else { return }
        for channel in registry.removeAll() { release(channel) }
        expiryDeadline = nil
        transport = nil
        services.connections.remove(self, loopIndex: loopIndex)
        metrics.connections.record(services.connections.count)
        admission?.socketClosed(address: peerAddress)
        admission = nil
    }
}

/// What a reply to a message echoes (its join_ref, ref and topic): kept instead of the whole message by what answers
/// later or elsewhere (a broadcast's ack, a refusal).
struct ReplyAddress: Sendable {
    let joinRef: JSON?
    let ref: JSON?
    let topic: String

    init(_ message: PhoenixMessage) {
        joinRef = message.joinRef
        ref = message.ref
        topic = message.topic
    }

    init(joinRef: JSON?, ref: JSON?, topic: String) {
        self.joinRef = joinRef
        self.ref = ref
        self.topic = topic
    }
}
