import Foundation
import NIOCore
import NIOWebSocket
import RallyAuth
import RallyProtocol
import RallyWebSocket

/// One client socket: decodes its messages, runs its channels, sends their replies. Confined to `eventLoop`;
/// every method runs there (the transport calls in on it, hub deliveries hop to it).
public final class ClientConnection: WebSocketSessionHandler {
    let services: HubServices
    let eventLoop: EventLoop
    let loopIndex: Int
    /// The connect token's fingerprint, not its text: a join without `access_token` is authorized as
    /// `connectIdentity` (re-checked against the clock), and its channel compares refreshes with this.
    let connectTokenFingerprint: TokenFingerprint
    let connectIdentity: Identity
    var metrics: HubMetrics { services.metrics }

    var transport: SessionTransport?
    /// Told once when the socket opens and once when it is gone, with `peerAddress` (the server counts sockets per
    /// address). A reference and a string rather than two closures: no closure contexts kept per idle socket.
    public var admission: (any SocketAdmission)?
    public var peerAddress = ""
    /// Its changes to what `ChannelIndex` files this socket under are filed as soon as they are made.
    var registry = ChannelRegistry() {
        didSet { if !registry.indexChanges.isEmpty { fileIndexChanges() } }
    }
    /// The socket's rate limits, as levels: their bursts, rates and windows are the node's (`HubLimits`).
    var joinLevel: TokenLevel
    var messageLevel: TokenLevel
    var presenceCalls = CallWindow()
    /// When the earliest token among the joined channels expires (seconds since 1970), nil when none expires.
    var expiryDeadline: Double?
    private var isClosed = false
    let version: ProtocolVersion  // after the wider fields: no padding

    init(services: HubServices, eventLoop: EventLoop, version: ProtocolVersion, connectToken: String,
         connectIdentity: Identity) {
        let limits = services.limits
        let now = NIODeadline.now()
        self.services = services
        self.eventLoop = eventLoop
        self.loopIndex = services.hub.loopIndex(of: eventLoop)
        self.version = version
        self.connectTokenFingerprint = TokenFingerprint(connectToken)
        self.connectIdentity = connectIdentity
        self.joinLevel = TokenLevel(full: limits.joinsPerSecond, now: now)
        self.messageLevel = TokenLevel(full: limits.messageBurst, now: now)
    }

    // MARK: WebSocketSessionHandler

    public func sessionDidOpen(_ session: WebSocketSession) {
        attach(session)
    }

    /// Binds the socket (the transport's session, or a fake in tests) and registers the connection.
    func attach(_ transport: SessionTransport) {
        eventLoop.assertInEventLoop()
        self.transport = transport
        fileAllChannels()
        services.connections.add(self, loopIndex: loopIndex)
        metrics.connections.record(services.connections.count)
        metrics.connectionsOpened.increment()
        admission?.socketOpened(address: peerAddress)
    }

    public func session(_ session: WebSocketSession, didReceive message: WebSocketMessage) {
        receive(message)
    }

    public func sessionDidClose(_ session: WebSocketSession, code: WebSocketErrorCode?) {
        if let cause = session.serverCloseCause { metrics.closure(cause).increment() }  // the hub counts its own
        detach()
    }

    func receive(_ message: WebSocketMessage) {
        eventLoop.assertInEventLoop()
        metrics.messagesIn.increment()
        let decoded: Result<InboundFrame, ProtocolError>
        let size: Int
        switch message {
        case .text(let bytes):
            size = bytes.readableBytes
            decoded = InboundDecoder.decodeTextKeepingUserPayload(bytes, version: version)
        case .binary(let bytes):
            size = bytes.readableBytes
            decoded = InboundDecoder.decodeBinary(bytes, version: version)
        }
        guard size <= services.limits.maxMessageBytes else {
            metrics.rejection("message_size").increment()
            closeSocket(code: .messageTooLarge, reason: "message too big", cause: "message_size")
            return
        }
        switch decoded {
        case .success(.message(let message)): dispatch(message, size: size)
        case .success(.userBroadcast(let push)): handleUserBroadcast(push, size: size)
        case .failure(let error):
            metrics.malformedFrames.increment()
            services.logger.debug("dropped malformed frame", metadata: ["error": "\(error)"])
        }
    }

    /// Routes a Phoenix message by event (ANCHORS §3.3).
    private func dispatch(_ message: PhoenixMessage, size: Int) {
        switch message.event {
        case "heartbeat" where message.topic == "phoenix":
            reply(to: message, payload: Replies.ok())
        case "phx_join":
            handleJoin(message, size: size)
        case "phx_leave":
            handleLeave(message)
        default:
            routeChannelMessage(message, size: size)
        }
    }

    private func routeChannelMessage(_ message: PhoenixMessage, size: Int) {
        switch registry.route(topic: message.topic, joinRef: message.joinRef) {
        case .notJoined:
            reply(to: message, payload: Replies.error(reason: "unmatched topic"))
        case .staleJoinRef:
            return
        case .channel(let index):
            guard admitMessage(ReplyAddress(message), channelAt: index) else { return }
            switch message.event {
            case "broadcast": handleBroadcast(message, channelAt: index, size: size)
            case "presence": handlePresence(message, channel: registry.channels[index])
            case "access_token": handleAccessToken(message, channel: registry.channels[index])
            default: services.logger.debug("ignored event", metadata: ["event": "\(message.event)"])
            }
        }
    }

    /// The per-socket message rate limit (service_role is exempt) for the channel at `index` (`ChannelRegistry.Route`).
    /// Over it: an error reply when the client asked for one (a ref), otherwise a silent drop; both counted. `sender`
    /// is only read for a refusal.
    func admitMessage(_ sender: @autoclosure () -> ReplyAddress, channelAt index: Int) -> Bool {
        if registry.channels[index].identity?.role == .serviceRole { return true }
        let limits = services.limits
        guard messageLevel.tryTake(burst: Double(limits.messageBurst), ratePerSecond: Double(limits.messagesPerSecond),
                                   now: .now()) else {
            return refuse(sender(), reason: "RateLimited: Too many messages per second", metric: "message_rate")
        }
        guard services.limits.userRate.perWindow > 0, let user = registry.channels[index].identity?.subject,
              !services.userGates[loopIndex].admit(user) else { return true }
        return refuse(sender(), reason: "RateLimited: Too many messages per minute for this user", metric: "user_rate")
    }

    /// Counts the refusal and answers it when the message asked for a reply; never closes the socket.
    private func refuse(_ sender: ReplyAddress, reason: String, metric: String) -> Bool {
        metrics.rejection(metric).increment()
        if sender.ref != nil { reply(to: sender, payload: Replies.error(reason: reason)) }
        return false
    }
}

/// Counts the sockets of each peer address (the server's connection limits).
public protocol SocketAdmission: AnyObject, Sendable {
    func socketOpened(address: String)
    func socketClosed(address: String)
}
