// The server side of one upgraded WebSocket: the application's handle for sending and closing, and
// the owner of the closing handshake and the bounded outbound queue.
//
// A session never blocks and never queues without bound: every byte accepted by `send` is counted
// until its socket write completes, and a send that would go past the bound closes the session as a
// slow consumer (1013) instead of queueing. Writes are not flushed at once but by the loop's
// `FlushScheduler`, a slice of sessions at a time with the loop's sockets polled in between: messages
// that arrive while a fanout is being written join the writes of the sessions not yet flushed, so a
// session gets one writev for all of them, however its publisher sends (FlushScheduler.swift).
import NIOCore
import NIOPosix
import NIOWebSocket

/// The server side of one upgraded WebSocket. Confined to `eventLoop`: call its methods there only.
public final class WebSocketSession {
    public let eventLoop: EventLoop
    public let remoteAddress: SocketAddress?

    struct Settings {
        var maxOutboundBytes: Int
        var closeTimeout: TimeAmount
    }

    enum State: Equatable {
        case open
        /// A close frame was sent; waiting for the peer's close or the close timeout.
        case closing
        /// The TCP connection is gone; `sessionDidClose` was called.
        case closed
    }

    // MARK: Variables, on the event loop only
    private var context: ChannelHandlerContext? = nil
    private var handler: WebSocketSessionHandler?
    private let settings: Settings
    private(set) var state: State = .open
    private var ledger: OutboundLedger
    /// What this tick accepted and has not yet handed to the channel, written at flush time (no write promise:
    /// see OutboundLedger.swift): the first frame as it came (a shared fanout frame goes out uncopied
    /// when it is alone), later frames copied behind it into one buffer (`heldBackIsBatch`), so a busy tick
    /// costs one channel write per socket, not one per message.
    private var heldBackFrame: ByteBuffer? = nil
    private var heldBackIsBatch = false
    var isFlushScheduled = false
    private var closeTimer: Scheduled<Void>? = nil
    private var endCode: UInt16? = nil
    /// Why the transport itself started closing (`slow_consumer`, `idle`, `protocol_error`, `invalid_payload`,
    /// `message_size`); nil when the application or the peer did. Read in `sessionDidClose` to count the cause.
    public private(set) var serverCloseCause: String? = nil
    private let negotiatedDeflate: DeflateParameters?

    init(
        eventLoop: EventLoop, remoteAddress: SocketAddress?, handler: WebSocketSessionHandler,
        deflate: DeflateParameters?, settings: Settings
    ) {
        self.eventLoop = eventLoop
        self.remoteAddress = remoteAddress
        self.handler = handler
        self.negotiatedDeflate = deflate
        self.settings = settings
        self.ledger = OutboundLedger(limit: settings.maxOutboundBytes)
    }

    public var deflate: DeflateParameters? { self.negotiatedDeflate }

    /// Bytes accepted by `send` and not yet written to the socket.
    public var queuedOutboundBytes: Int {
        self.eventLoop.assertInEventLoop()
        self.refreshLedger()
        return self.ledger.queuedBytes
    }

    public var isOpen: Bool {
        self.eventLoop.assertInEventLoop()
        return self.state == .open
    }

    /// Queue one message. Never blocks; past the outbound bound the session is closed with 1013.
    public func send(_ message: WebSocketMessage) {
        self.eventLoop.assertInEventLoop()
        guard self.state == .open else { return }
        self.enqueue(OutboundFrameBuilder.frame(opcode: message.opcode, payload: message.payload, deflate: self.deflate))
    }

    public func send(_ frame: SharedFrame) {
        self.eventLoop.assertInEventLoop()
        guard self.state == .open else { return }
        self.enqueue(frame.wireBytes(for: self.deflate))
    }

    /// Start the closing handshake (close frame, then TCP close after a bounded wait).
    public func close(code: WebSocketErrorCode, reason: String) {
        self.eventLoop.assertInEventLoop()
        self.startClosing(code: code.wireValue, reason: reason)
    }

    /// Closes the TCP connection now, without (or without finishing) the closing handshake.
    public func abort() {
        self.eventLoop.assertInEventLoop()
        self.closeTransport()
    }

    /// The idle timeout expired: close with 1011, counted as `idle`.
    func closeIdle() {
        self.startClosing(code: RallyCloseCode.unexpectedCondition.wireValue, reason: "idle timeout", cause: "idle")
    }

    // MARK: Driven by the frame handler

    func attach(_ context: ChannelHandlerContext) {
        self.context = context
    }

    func didOpen() {
        self.handler?.sessionDidOpen(self)
    }

    func deliver(_ message: WebSocketMessage) {
        guard self.state == .open else { return }
        self.handler?.session(self, didReceive: message)
    }

    func answerPing(_ payload: ByteBuffer) {
        guard self.state == .open else { return }
        self.enqueue(FrameEncoder.frame(opcode: FrameOpcode.pong, payload: payload))
    }

    /// The peer sent a close frame: echo it and close TCP, or finish our own closing handshake.
    func peerClosed(code: UInt16?) {
        switch self.state {
        case .open:
            self.state = .closing
            self.endCode = code ?? 1005
            self.writeCloseFrame(code: code ?? 1000, reason: "", closeTransportWhenWritten: true)
        case .closing:
            self.endCode = code ?? 1005
            self.closeTransport()
        case .closed:
            break
        }
    }

    /// The peer broke the protocol: fail the connection with a close frame, or just drop TCP if a
    /// closing handshake is already under way.
    func fail(code: UInt16, reason: String) {
        if self.state == .open {
            self.startClosing(code: code, reason: reason, cause: Self.cause(ofFailure: code))
        } else {
            self.closeTransport()
        }
    }

    /// The TCP connection is gone: report it once and let go of everything.
    func transportClosed() {
        guard self.state != .closed else { return }
        self.state = .closed
        self.closeTimer?.cancel()
        self.closeTimer = nil
        self.heldBackFrame = nil
        self.context = nil
        let handler = self.handler
        self.handler = nil
        handler?.sessionDidClose(self, code: self.endCode.map { WebSocketErrorCode(codeNumber: Int($0)) })
    }

    /// Flushes what was accepted during this tick.
    func flushScheduledWrites() {
        self.isFlushScheduled = false
        guard let context = self.context, let frame = self.heldBackFrame else { return }
        self.heldBackFrame = nil
        self.heldBackIsBatch = false
        self.ledger.flush()
        context.writeAndFlush(NIOAny(frame), promise: nil)
    }

    // MARK: Private

    private func enqueue(_ frame: ByteBuffer) {
        guard let context = self.context else { return }
        let size = frame.readableBytes
        if !self.ledger.admits(size) {
            self.refreshLedger()
            guard self.ledger.admits(size) else {
                self.startClosing(
                    code: RallyCloseCode.tryAgainLater.wireValue, reason: "slow consumer", cause: "slow_consumer")
                return
            }
        }
        self.holdBack(frame, context: context)
        self.ledger.accept(size)
        if !self.isFlushScheduled {
            self.isFlushScheduled = true
            if !FlushScheduler.current.schedule(self) { self.flushScheduledWrites() }
        }
    }

    /// Adds `frame` to this tick's held-back bytes; a batch that would pass `maxBatchBytes` is handed to the
    /// channel first (unflushed: the flush at the end of the tick writes it out with the rest).
    private func holdBack(_ frame: ByteBuffer, context: ChannelHandlerContext) {
        guard var batch = self.heldBackFrame else {
            self.heldBackFrame = frame
            self.heldBackIsBatch = false
            return
        }
        self.heldBackFrame = nil  // `batch` is now the only reference: appending does not copy it again
        if batch.readableBytes + frame.readableBytes > Self.maxBatchBytes {
            self.ledger.hand(batch.readableBytes)
            context.write(NIOAny(batch), promise: nil)
            self.heldBackFrame = frame
            self.heldBackIsBatch = false
            return
        }
        if !self.heldBackIsBatch {
            let first = batch
            batch = context.channel.allocator.buffer(
                capacity: max(Self.initialBatchBytes, 2 * (first.readableBytes + frame.readableBytes)))
            batch.writeImmutableBuffer(first)
            self.heldBackIsBatch = true
        }
        batch.writeImmutableBuffer(frame)
        self.heldBackFrame = batch
    }

    /// Lowers the ledger's in-flight count to what the channel still buffers (asked only near the bound: see
    /// OutboundLedger.swift). A closed channel holds nothing that will still be written.
    private func refreshLedger() {
        guard let options = self.context?.channel.syncOptions else { return }
        let holds = (try? options.getOption(ChannelOptions.bufferedWritableBytes)) ?? 0
        self.ledger.refresh(socketHolds: holds)
    }

    /// Frames are copied into one buffer up to this size; bigger batches go out as several writes.
    static let maxBatchBytes = 64 * 1024
    static let initialBatchBytes = 1024

    private func startClosing(code: UInt16, reason: String, cause: String? = nil) {
        guard self.state == .open else { return }
        self.state = .closing
        self.endCode = code
        self.serverCloseCause = cause
        self.writeCloseFrame(code: code, reason: reason, closeTransportWhenWritten: false)
    }

    /// Writes the close frame behind everything already accepted, bypassing the outbound bound, and
    /// arms the close timeout.
    private func writeCloseFrame(code: UInt16, reason: String, closeTransportWhenWritten: Bool) {
        guard let context = self.context else { return }
        self.flushScheduledWrites()
        let written = context.eventLoop.makePromise(of: Void.self)
        if closeTransportWhenWritten {
            written.futureResult.assumeIsolated().whenComplete { _ in self.closeTransport() }
        }
        context.writeAndFlush(NIOAny(FrameEncoder.closeFrame(code: code, reason: reason)), promise: written)
        self.closeTimer = context.eventLoop.assumeIsolated().scheduleTask(in: self.settings.closeTimeout) {
            self.closeTransport()
        }
    }

    private func closeTransport() {
        self.context?.close(promise: nil)
    }

    private static func cause(ofFailure code: UInt16) -> String {
        switch code {
        case 1007: return "invalid_payload"
        case 1009: return "message_size"
        default: return "protocol_error"
        }
    }
}

@available(*, unavailable)
extension WebSocketSession: Sendable {}
