// The channel handler of an upgraded connection: feeds inbound bytes to the frame reader, turns its
// events into session calls, and closes sockets that stay silent past the idle timeout.
import NIOCore
import NIOWebSocket

final class WebSocketFrameHandler: ChannelInboundHandler, RemovableChannelHandler {
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
    private var idleTimer: NIOScheduledCallback? = nil
    private var context: ChannelHandlerContext? = nil

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
        self.context = context
        self.session.attach(context)
        self.lastInboundAt = context.eventLoop.now
        self.armIdleTimer(in: self.idleTimeout)
        self.session.didOpen()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.cancelIdleTimer()
        self.session.transportClosed()
        self.context = nil
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
        self.cancelIdleTimer()
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

    private func armIdleTimer(in delay: TimeAmount) {
        guard let context = self.context else { return }
        self.idleTimer = try? context.eventLoop.assumeIsolated().scheduleCallback(in: delay, handler: IdleTimerCallback(self))
    }

    private func cancelIdleTimer() {
        self.idleTimer?.cancel()
        self.idleTimer = nil
    }

    fileprivate func idleTimerFired() {
        guard let context = self.context else { return }
        self.idleTimer = nil
        let silentFor = context.eventLoop.now - self.lastInboundAt
        if silentFor >= self.idleTimeout {
            self.session.close(code: .unexpectedServerError, reason: "idle timeout")
        } else {
            self.armIdleTimer(in: self.idleTimeout - silentFor)
        }
    }
}

/// Calls back into the frame handler on its event loop (holds it weakly: a closed connection's timer
/// must not keep it alive).
private struct IdleTimerCallback: NIOScheduledCallbackHandler {
    private let handler: NIOLoopBound<Weak>

    private final class Weak {
        weak var handler: WebSocketFrameHandler?
        init(_ handler: WebSocketFrameHandler) { self.handler = handler }
    }

    init(_ handler: WebSocketFrameHandler) {
        self.handler = NIOLoopBound(Weak(handler), eventLoop: handler.session.eventLoop)
    }

    func handleScheduledCallback(eventLoop: some EventLoop) {
        self.handler.value.handler?.idleTimerFired()
    }
}

@available(*, unavailable)
extension WebSocketFrameHandler: Sendable {}
