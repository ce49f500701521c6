import NIOCore
import RallyProtocol

/// The mutable protocol state of one `RealtimeConnection`: the ref counter, the join ref of each
/// joined topic and the requests waiting for their phx_reply. Confined to the connection's event
/// loop; every method asserts it.
final class RealtimeSession: @unchecked Sendable {
    let eventLoop: EventLoop
    let options: RealtimeOptions
    private let deliver: @Sendable (ServerEvent) -> Void
    private let finishEvents: @Sendable () -> Void

    private var lastRef = 0
    private var joinRefs: [String: String] = [:]
    private var pending: [String: (promise: EventLoopPromise<Reply>, timeout: Scheduled<Void>)] = [:]
    /// Refs whose replies nobody waits for (automatic heartbeats).
    private var silentRefs = Set<String>()
    private(set) var accessToken: String?
    private(set) var decodeFailures = 0
    private var isClosed = false

    init(
        eventLoop: EventLoop, options: RealtimeOptions, accessToken: String?,
        deliver: @escaping @Sendable (ServerEvent) -> Void, finishEvents: @escaping @Sendable () -> Void
    ) {
        self.eventLoop = eventLoop
        self.options = options
        self.accessToken = accessToken
        self.deliver = deliver
        self.finishEvents = finishEvents
    }

    /// Refs are the strings "1", "2", … as realtime-js sends them.
    func nextRef() -> String {
        eventLoop.preconditionInEventLoop()
        lastRef += 1
        return String(lastRef)
    }

    func joinRef(of topic: String) -> String? {
        eventLoop.preconditionInEventLoop()
        return joinRefs[topic]
    }

    func joinedTopics() -> [String] {
        eventLoop.preconditionInEventLoop()
        return Array(joinRefs.keys)
    }

    func setJoinRef(_ ref: String?, of topic: String) {
        eventLoop.preconditionInEventLoop()
        joinRefs[topic] = ref
    }

    func setAccessToken(_ token: String) {
        eventLoop.preconditionInEventLoop()
        accessToken = token
    }

    /// Registers a request; its future completes with the reply or fails after the reply timeout.
    func expectReply(ref: String, what: String) -> EventLoopFuture<Reply> {
        eventLoop.preconditionInEventLoop()
        let promise = eventLoop.makePromise(of: Reply.self)
        guard !isClosed else {
            promise.fail(WebSocketClientError.connectionClosed)
            return promise.futureResult
        }
        let timeout = eventLoop.scheduleTask(in: options.replyTimeout) { [self] in
            if let waiting = pending.removeValue(forKey: ref) {
                waiting.promise.fail(WebSocketClientError.timedOut("reply to \(what)"))
            }
        }
        pending[ref] = (promise, timeout)
        return promise.futureResult
    }

    func ignoreReply(ref: String) {
        eventLoop.preconditionInEventLoop()
        silentRefs.insert(ref)
    }

    /// Handles one inbound frame (called by the WebSocket on this event loop).
    func receive(_ message: WebSocketClientMessage) {
        if let filter = options.frameFilter, filter(message) { return }
        let event: ServerEvent
        do { event = try PhoenixClientCodec.decode(message) } catch {
            decodeFailures += 1
            return
        }
        if event.isReply, let ref = event.refString {
            if let waiting = pending.removeValue(forKey: ref) {
                waiting.timeout.cancel()
                waiting.promise.succeed(Reply(event: event))
                return
            }
            if silentRefs.remove(ref) != nil { return }
        }
        if event.event == "phx_close" || event.event == "phx_error", let joinRef = event.refString,
            joinRefs[event.topic] == joinRef
        {
            joinRefs[event.topic] = nil
        }
        deliver(event)
    }

    /// Fails every waiting request; called once when the socket is gone.
    func connectionClosed() {
        eventLoop.preconditionInEventLoop()
        isClosed = true
        for (_, waiting) in pending {
            waiting.timeout.cancel()
            waiting.promise.fail(WebSocketClientError.connectionClosed)
        }
        pending.removeAll()
        finishEvents()
    }
}
