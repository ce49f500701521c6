import NIOCore
import NIOWebSocket

/// What `WebSocketConnection` asks the frame handler to send.
enum WebSocketOutbound: Sendable {
    case message(WebSocketClientMessage)
    case ping(ByteBuffer)
    case close(code: UInt16, reason: String)
}

/// The client end of an upgraded WebSocket: masks what it sends, feeds received frames through
/// `MessageAssembler`, answers pings and runs the close handshake. Confined to the channel's event loop.
final class WebSocketClientFrameHandler: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundIn = WebSocketOutbound
    typealias OutboundOut = WebSocketFrame

    private var assembler: MessageAssembler
    private let deliver: @Sendable (WebSocketClientMessage) -> Void
    private let finishInbound: @Sendable () -> Void
    private let closed: EventLoopPromise<WebSocketCloseInfo>
    private let closeTimeout: TimeAmount
    private var received: WebSocketCloseInfo?
    private var sentClose = false
    private var forcedClose: Scheduled<Void>?
    private var maskSeed: UInt64

    init(
        configuration: WebSocketClientConfiguration,
        deliver: @escaping @Sendable (WebSocketClientMessage) -> Void,
        finishInbound: @escaping @Sendable () -> Void,
        closed: EventLoopPromise<WebSocketCloseInfo>
    ) {
        self.assembler = MessageAssembler(maxMessageSize: configuration.maxMessageSize)
        self.deliver = deliver
        self.finishInbound = finishInbound
        self.closed = closed
        self.closeTimeout = configuration.closeTimeout
        self.maskSeed = UInt64.random(in: 1...UInt64.max)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch assembler.receive(Self.unwrapInboundIn(data)) {
        case .none:
            break
        case .deliver(let message):
            deliver(message)
        case .sendPong(let payload):
            context.writeAndFlush(Self.wrapOutboundOut(frame(.pong, payload)), promise: nil)
        case let .closeReceived(code, reason):
            received = WebSocketCloseInfo(code: code, reason: reason, receivedCloseFrame: true)
            sendCloseIfNeeded(context: context, code: code, reason: "")
        case let .fail(code, reason):
            sendCloseIfNeeded(context: context, code: UInt16(webSocketErrorCode: code), reason: reason)
            context.close(promise: nil)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch Self.unwrapOutboundIn(data) {
        case .message(let message):
            guard !sentClose else {
                promise?.fail(WebSocketClientError.connectionClosed)
                return
            }
            context.write(Self.wrapOutboundOut(frame(message.kind == .text ? .text : .binary, message.data)), promise: promise)
        case .ping(let payload):
            context.write(Self.wrapOutboundOut(frame(.ping, payload)), promise: promise)
        case let .close(code, reason):
            sendCloseIfNeeded(context: context, code: code, reason: reason)
            promise?.succeed(())
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        forcedClose?.cancel()
        closed.succeed(received ?? .abrupt)
        finishInbound()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // Decoder errors were already answered with a close frame by WebSocketProtocolErrorHandler.
        context.close(promise: nil)
    }

    /// Sends our close frame once, then gives the server `closeTimeout` to drop the TCP connection
    /// (the server closing first keeps TIME_WAIT sockets off the client's ports).
    private func sendCloseIfNeeded(context: ChannelHandlerContext, code: UInt16?, reason: String) {
        guard !sentClose else { return }
        sentClose = true
        var body = context.channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        if let code {
            body.writeInteger(code)
            body.writeString(reason)
        }
        context.writeAndFlush(Self.wrapOutboundOut(frame(.connectionClose, body)), promise: nil)
        let channel = context.channel
        forcedClose = context.eventLoop.scheduleTask(in: closeTimeout) { channel.close(promise: nil) }
    }

    private func frame(_ opcode: WebSocketOpcode, _ data: ByteBuffer) -> WebSocketFrame {
        WebSocketFrame(fin: true, opcode: opcode, maskKey: nextMaskKey(), data: data)
    }

    /// xorshift64: masking keys only have to be unpredictable to intermediaries, and a system
    /// random call per frame would cost more than the send itself.
    private func nextMaskKey() -> WebSocketMaskingKey {
        maskSeed ^= maskSeed << 13
        maskSeed ^= maskSeed >> 7
        maskSeed ^= maskSeed << 17
        let bits = UInt32(truncatingIfNeeded: maskSeed)
        let key: WebSocketMaskingKey = [
            UInt8(truncatingIfNeeded: bits >> 24), UInt8(truncatingIfNeeded: bits >> 16),
            UInt8(truncatingIfNeeded: bits >> 8), UInt8(truncatingIfNeeded: bits),
        ]
        return key
    }
}

@available(*, unavailable)
extension WebSocketClientFrameHandler: Sendable {}
