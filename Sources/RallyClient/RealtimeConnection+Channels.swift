import NIOCore
import RallyProtocol

extension RealtimeConnection {
    // MARK: Join and leave

    /// Joins `topic` (e.g. "realtime:room1") and waits for the phx_reply. An error reply is
    /// returned, not thrown (`reply.isOK == false`, `reply.reason`); timeouts and closed sockets throw.
    public func join(_ topic: String, options: JoinOptions = .init()) -> EventLoopFuture<Reply> {
        onLoop { [self] in
            let token = session.options.sendAccessTokenOnJoin ? session.accessToken : nil
            return startJoin(topic, payload: options.payload(token: token))
        }
    }

    public func join(_ topic: String, options: JoinOptions = .init()) async throws -> Reply {
        try await join(topic, options: options).get()
    }

    /// Joins with a payload given verbatim.
    public func join(_ topic: String, payload: JSON) async throws -> Reply {
        try await onLoop { [self] in startJoin(topic, payload: payload) }.get()
    }

    private func startJoin(_ topic: String, payload: JSON) -> EventLoopFuture<Reply> {
        let ref = session.nextRef()
        session.setJoinRef(ref, of: topic)
        let reply = session.expectReply(ref: ref, what: "phx_join on \(topic)")
        sendText(joinRef: ref, ref: ref, topic: topic, event: "phx_join", payload: payload)
        return reply.map { [session] reply in
            if !reply.isOK, session.joinRef(of: topic) == ref { session.setJoinRef(nil, of: topic) }
            return reply
        }
    }

    /// Sends phx_leave and waits for its reply; the topic counts as left afterwards.
    public func leave(_ topic: String) async throws -> Reply {
        try await request(topic: topic, event: "phx_leave", payload: .emptyObject).map { [session] reply in
            session.setJoinRef(nil, of: topic)
            return reply
        }.get()
    }

    /// The join ref of a joined topic (nil when not joined).
    public func joinRef(of topic: String) async -> String? {
        try? await onLoop { [session] in session.eventLoop.makeSucceededFuture(session.joinRef(of: topic)) }.get()
    }

    /// Sends a heartbeat on topic "phoenix" and waits for its reply.
    public func heartbeat() async throws -> Reply {
        try await onLoop { [self] in
            let ref = session.nextRef()
            let reply = session.expectReply(ref: ref, what: "heartbeat")
            sendText(joinRef: nil, ref: ref, topic: "phoenix", event: "heartbeat", payload: .emptyObject)
            return reply
        }.get()
    }

    // MARK: Broadcast

    /// Broadcasts a user event. v2 sends binary kind 3 (as realtime-js does), v1 a text push
    /// `{"type":"broadcast","event":…,"payload":…}`. With `awaitAck` (join with `broadcastAck`)
    /// it waits for the server's ok reply; otherwise returns nil at once.
    @discardableResult
    public func broadcast(topic: String, event: String, payload: JSON, awaitAck: Bool = false) async throws -> Reply? {
        try await sendBroadcast(topic: topic, event: event, payload: .json(payload), awaitAck: awaitAck).get()
    }

    /// Broadcasts binary bytes (v2 only: kind 3 with encoding 0). v1 cannot carry them and throws.
    @discardableResult
    public func broadcast(topic: String, event: String, binary: ByteBuffer, awaitAck: Bool = false) async throws -> Reply? {
        try await sendBroadcast(topic: topic, event: event, payload: .binary(binary), awaitAck: awaitAck).get()
    }

    /// The broadcast primitive; without `awaitAck` the future completes once the frame is queued.
    public func sendBroadcast(topic: String, event: String, payload: BroadcastPayload, awaitAck: Bool = false) -> EventLoopFuture<Reply?> {
        onLoop { [self] in
            let ref = session.nextRef()
            let reply = awaitAck ? session.expectReply(ref: ref, what: "broadcast ack on \(topic)") : nil
            try writeBroadcast(joinRef: session.joinRef(of: topic), ref: ref, topic: topic, event: event, payload: payload)
            return reply.map { $0.map { reply -> Reply? in reply } } ?? eventLoop.makeSucceededFuture(nil)
        }
    }

    private func writeBroadcast(joinRef: String?, ref: String, topic: String, event: String, payload: BroadcastPayload) throws {
        switch (version, payload) {
        case (.v2, _):
            let bytes = try PhoenixClientCodec.encodeUserBroadcastPush(
                joinRef: joinRef, ref: ref, topic: topic, userEvent: event, payload: payload)
            socket.send(WebSocketClientMessage(kind: .binary, data: bytes))
        case (.v1, .json), (.v1, .jsonText):
            let body: JSON = .object(["type": .string("broadcast"), "event": .string(event),
                                      "payload": payload.jsonValue ?? .null])
            sendText(joinRef: joinRef, ref: ref, topic: topic, event: "broadcast", payload: body)
        case (.v1, .binary):
            throw PhoenixClientCodec.DecodeError("binary broadcasts need protocol 2.0.0")
        }
    }

    // MARK: Presence and tokens

    /// Tracks presence with `payload` (a JSON object) and waits for the reply.
    public func track(topic: String, payload: JSON) async throws -> Reply {
        let body: JSON = .object(["type": .string("presence"), "event": .string("track"), "payload": payload])
        return try await request(topic: topic, event: "presence", payload: body)
    }

    /// Stops tracking presence on `topic` and waits for the reply.
    public func untrack(topic: String) async throws -> Reply {
        let body: JSON = .object(["type": .string("presence"), "event": .string("untrack")])
        return try await request(topic: topic, event: "presence", payload: body)
    }

    /// Sends `access_token` to every joined topic (the server does not reply on success) and uses
    /// the token for later joins, as realtime-js's `setAuth` does.
    public func updateAccessToken(_ token: String) async {
        _ = try? await onLoop { [self] in
            session.setAccessToken(token)
            for topic in session.joinedTopics() {
                sendText(
                    joinRef: session.joinRef(of: topic), ref: session.nextRef(), topic: topic, event: "access_token",
                    payload: .object(["access_token": .string(token)]))
            }
            return eventLoop.makeSucceededVoidFuture()
        }.get()
    }
}
