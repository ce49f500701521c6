// The channel handler of an upgraded connection: feeds inbound bytes to the frame reader, turns its
// events into session calls, and closes sockets that stay silent past the idle timeout. The idle
// timeout is checked by one repeating timer per event loop for all of its connections, instead of a
// timer per connection (which would cost ~200 bytes per idle socket).
import NIOCore
import NIOPosix
import NIOWebSocket

final class WebSocketFrameHandler: ChannelInboundHandler, RemovableChannelHandler, IdleSweepable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    struct Settings {
        var limits: InboundLimits
        var idleTimeout: TimeAmount
        var session: WebSocketSession.Settings
    }

    let session: WebSocketSession
    private var reader: InboundFrameReader
    private let idleTimeout: TimeAmount
    private var lastInboundAt: NIODeadline = .uptimeNanoseconds(0)
    private var idleSweeper: IdleSweeper? = nil
    var idleSweepIndex = -1

    init(
        eventLoop: EventLoop, remoteAddress: SocketAddress?, handler: WebSocketSessionHandler,
        deflate: DeflateParameters?, settings: Settings
    ) {
        self.session = WebSocketSession(
            eventLoop: eventLoop, remoteAddress: remoteAddress, handler: handler, deflate: deflate,
            settings: settings.session
        )
        self.reader = InboundFrameReader(limits: settings.limits, deflate: deflate)
        self.idleTimeout = settings.idleTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.session.attach(context)
        self.lastInboundAt = context.eventLoop.now
        let sweeper = IdleSweeper.on(context.eventLoop)
        sweeper.add(self)
        self.idleSweeper = sweeper
        self.session.didOpen()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.stopIdleWatch()
        self.session.transportClosed()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = self.unwrapInboundIn(data)
        self.lastInboundAt = context.eventLoop.now
        while let event = self.reader.nextEvent(from: &buffer) {
            self.handle(event)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.session.flushScheduledWrites()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.stopIdleWatch()
        self.session.transportClosed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // Transport errors (reset, TLS failure): nothing can be said to the peer any more.
        context.close(promise: nil)
    }

    private func handle(_ event: InboundEvent) {
        switch event {
        case .message(let message):
            self.session.deliver(message)
        case .ping(let payload):
            self.session.answerPing(payload)
        case .pong:
            break
        case .close(let code):
            self.session.peerClosed(code: code)
        case .failure(let violation):
            self.session.fail(code: violation.code, reason: violation.reason)
        }
    }

    // MARK: Idle timeout

    func isIdle(at now: NIODeadline) -> Bool {
        now - self.lastInboundAt >= self.idleTimeout
    }

    /// Starts the closing handshake with 1011 "idle timeout"; the close timeout bounds the rest.
    func idleTimeoutExpired() {
        self.idleSweeper = nil
        self.session.closeIdle()
    }

    private func stopIdleWatch() {
        self.idleSweeper?.remove(self)
        self.idleSweeper = nil
    }
}

@available(*, unavailable)
extension WebSocketFrameHandler: Sendable {}

protocol IdleSweepable: AnyObject {
    /// Position in the sweeper's member list (maintained by the sweeper), or -1.
    var idleSweepIndex: Int { get set }
    /// Whether the connection has been silent for its whole idle timeout at `now`.
    func isIdle(at now: NIODeadline) -> Bool
    /// The idle timeout expired; the connection is no longer watched.
    func idleTimeoutExpired()
}

/// Watches the upgraded connections of one event loop. Lives on that loop's thread; sweeps once per
/// `interval` while it has members, so an idle connection is closed within one interval of its
/// timeout.
final class IdleSweeper {
    static let interval: TimeAmount = .seconds(1)
    /// One per thread: a thread only ever sees its own value, so sharing the variable is safe.
    nonisolated(unsafe) private static let perThread = ThreadSpecificVariable<Registry>()

    /// The sweepers of the event loops running on this thread (one, except with test loops).
    private final class Registry {
        var sweepers: [ObjectIdentifier: IdleSweeper] = [:]
    }

    private let eventLoop: EventLoop
    private var members: [IdleSweepable] = []
    private var isScheduled = false

    private init(eventLoop: EventLoop) {
        self.eventLoop = eventLoop
    }

    /// The sweeper of `eventLoop`; call on that loop.
    static func on(_ eventLoop: EventLoop) -> IdleSweeper {
        eventLoop.assertInEventLoop()
        let registry = perThread.currentValue ?? Registry()
        if perThread.currentValue == nil { perThread.currentValue = registry }
        let key = ObjectIdentifier(eventLoop)
        if let sweeper = registry.sweepers[key] { return sweeper }
        let sweeper = IdleSweeper(eventLoop: eventLoop)
        registry.sweepers[key] = sweeper
        return sweeper
    }

    func add(_ member: IdleSweepable) {
        guard member.idleSweepIndex < 0 else { return }
        member.idleSweepIndex = self.members.count
        self.members.append(member)
        self.scheduleSweep()
    }

    func remove(_ member: IdleSweepable) {
        let index = member.idleSweepIndex
        guard index >= 0, index < self.members.count, self.members[index] === member else { return }
        let last = self.members.removeLast()
        if index < self.members.count {
            self.members[index] = last
            last.idleSweepIndex = index
        }
        member.idleSweepIndex = -1
    }

    private func scheduleSweep() {
        guard !self.isScheduled else { return }
        self.isScheduled = true
        self.eventLoop.assumeIsolated().scheduleTask(in: Self.interval) { self.sweep() }
    }

    private func sweep() {
        self.isScheduled = false
        let now = self.eventLoop.now
        let expired = self.members.filter { $0.isIdle(at: now) }
        for member in expired {
            self.remove(member)
            member.idleTimeoutExpired()
        }
        if self.members.isEmpty {
            Self.perThread.currentValue?.sweepers[ObjectIdentifier(self.eventLoop)] = nil
        } else {
            self.scheduleSweep()
        }
    }
}
