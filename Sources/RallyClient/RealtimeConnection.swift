import NIOCore
import NIOPosix
import RallyProtocol

/// A client socket speaking Rally's protocol (Supabase Realtime on Phoenix Channels, vsn 1.0.0 or 2.0.0).
/// Thread-safe; protocol state lives on the socket's event loop.
public final class RealtimeConnection: Sendable {
    public let socket: WebSocketConnection
    public let version: ProtocolVersion
    /// Server events when connected with `.stream` (finished when the socket closes).
    public let events: AsyncStream<ServerEvent>
    let session: RealtimeSession

    private init(socket: WebSocketConnection, version: ProtocolVersion, events: AsyncStream<ServerEvent>, session: RealtimeSession) {
        self.socket = socket
        self.version = version
        self.events = events
        self.session = session
    }

    public var eventLoop: EventLoop { session.eventLoop }

    /// The URL with `vsn` and (when given) `apikey` added unless the query already has them.
    public static func url(_ base: WebSocketURL, version: ProtocolVersion, apiKey: String?) -> WebSocketURL {
        var url = base
        if let apiKey { url = url.addingQueryParameter("apikey", apiKey) }
        return url.addingQueryParameter("vsn", version == .v1 ? "1.0.0" : "2.0.0")
    }

    /// Connects on the given event loop. `apiKey` goes into the query (and becomes the token joins carry).
    public static func connect(
        to base: WebSocketURL,
        version: ProtocolVersion,
        apiKey: String? = nil,
        options: RealtimeOptions = .init(),
        inbound: RealtimeInbound = .stream,
        on eventLoop: EventLoop
    ) -> EventLoopFuture<RealtimeConnection> {
        let (stream, continuation) = AsyncStream.makeStream(of: ServerEvent.self)
        let deliver: @Sendable (ServerEvent) -> Void
        switch inbound {
        case .callback(let callback):
            deliver = callback
            continuation.finish()
        case .stream:
            deliver = { continuation.yield($0) }
        }
        let session = RealtimeSession(
            eventLoop: eventLoop, options: options, accessToken: apiKey, deliver: deliver,
            finishEvents: { continuation.finish() })
        let url = url(base, version: version, apiKey: apiKey)
        return WebSocketClient.connect(
            to: url, configuration: options.webSocket, inbound: .callback({ session.receive($0) }), on: eventLoop
        ).map { socket in
            let connection = RealtimeConnection(socket: socket, version: version, events: stream, session: session)
            connection.startHeartbeats()
            socket.closeFuture.whenComplete { _ in session.connectionClosed() }
            return connection
        }
    }

    public static func connect(
        to url: String,
        version: ProtocolVersion,
        apiKey: String? = nil,
        options: RealtimeOptions = .init(),
        inbound: RealtimeInbound = .stream,
        on group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> RealtimeConnection {
        let base = try WebSocketURL(parsing: url)
        return try await connect(
            to: base, version: version, apiKey: apiKey, options: options, inbound: inbound, on: group.next()
        ).get()
    }

    // MARK: Sending

    /// Runs `body` on the event loop (inline when already there).
    func onLoop<T: Sendable>(_ body: @escaping @Sendable () throws -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        let loop = eventLoop
        guard loop.inEventLoop else {
            return loop.flatSubmit {
                do { return try body() } catch { return loop.makeFailedFuture(error) }
            }
        }
        do { return try body() } catch { return loop.makeFailedFuture(error) }
    }

    /// Sends a push with the next ref and the topic's current join ref, and waits for its phx_reply.
    public func request(topic: String, event: String, payload: JSON) -> EventLoopFuture<Reply> {
        onLoop { [self] in
            let ref = session.nextRef()
            let reply = session.expectReply(ref: ref, what: "\(event) on \(topic)")
            sendText(joinRef: session.joinRef(of: topic), ref: ref, topic: topic, event: event, payload: payload)
            return reply
        }
    }

    public func request(topic: String, event: String, payload: JSON) async throws -> Reply {
        try await request(topic: topic, event: event, payload: payload).get()
    }

    /// Sends a push without waiting for anything (no reply is expected or one is delivered as an event).
    public func push(topic: String, event: String, payload: JSON) {
        _ = onLoop { [self] in
            sendText(joinRef: session.joinRef(of: topic), ref: session.nextRef(), topic: topic, event: event, payload: payload)
            return eventLoop.makeSucceededVoidFuture()
        }
    }

    func sendText(joinRef: String?, ref: String?, topic: String, event: String, payload: JSON) {
        let bytes = PhoenixClientCodec.encodePush(
            joinRef: joinRef, ref: ref, topic: topic, event: event, payload: payload, version: version)
        socket.send(WebSocketClientMessage(kind: .text, data: bytes))
    }

    private func startHeartbeats() {
        guard let interval = session.options.heartbeatInterval else { return }
        let task = eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { [session, version, socket] _ in
            let ref = session.nextRef()
            session.ignoreReply(ref: ref)
            let bytes = PhoenixClientCodec.encodePush(
                joinRef: nil, ref: ref, topic: "phoenix", event: "heartbeat", payload: .emptyObject, version: version)
            socket.send(WebSocketClientMessage(kind: .text, data: bytes))
        }
        socket.closeFuture.whenComplete { _ in task.cancel() }
    }

    // MARK: Closing

    /// Closes the socket (close frame, then waits for the server).
    @discardableResult
    public func close(code: UInt16 = 1000) async -> WebSocketCloseInfo {
        await socket.close(code: code)
    }

    public var closeFuture: EventLoopFuture<WebSocketCloseInfo> { socket.closeFuture }
}
