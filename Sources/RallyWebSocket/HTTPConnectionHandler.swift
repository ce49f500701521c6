// The channel handler of a connection before any upgrade: enforces the handshake timeout (from
// accept, or from the previous response, to the end of a complete request, body included), routes
// complete requests to the delegate, writes responses (keep-alive included; pipelined requests wait
// while the outbound side is over its high water mark), and performs the WebSocket upgrade by
// swapping the HTTP handlers for a WebSocketFrameHandler.
import Logging
import NIOCore
import NIOHTTP1

final class HTTPConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// The HTTP codec handlers, removed on upgrade.
    struct Codec {
        var decoder: RemovableChannelHandler
        var encoder: RemovableChannelHandler
    }

    private let configuration: WebSocketServerConfiguration
    private let delegate: HTTPServerDelegate
    private let codec: Codec
    private let logger: Logger
    private var machine: HTTPConnectionStateMachine
    private var heldParts = CircularBuffer<HTTPServerRequestPart>()
    private var isReadSuppressed = false
    private var hasPendingRead = false
    /// A response is written and the channel is not writable: the next request waits for writability.
    private var isAwaitingWritability = false
    /// `resumeReading` is replaying held parts (a response completed inline must not recurse into it).
    private var isReplayingHeldParts = false
    private var handshakeTimer: Scheduled<Void>? = nil

    init(configuration: WebSocketServerConfiguration, delegate: HTTPServerDelegate, codec: Codec, logger: Logger) {
        self.configuration = configuration
        self.delegate = delegate
        self.codec = codec
        self.logger = logger
        self.machine = HTTPConnectionStateMachine(maxBodySize: configuration.maxHTTPBodySize)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { self.armHandshakeTimer(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        self.armHandshakeTimer(context: context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.cancelHandshakeTimer()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.cancelHandshakeTimer()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.process(self.unwrapInboundIn(data), context: context)
    }

    /// While a request is with the delegate, no more bytes are read (pipelined requests wait).
    func read(context: ChannelHandlerContext) {
        if self.isReadSuppressed {
            self.hasPendingRead = true
        } else {
            context.read()
        }
    }

    /// The peer read what was queued: replay the pipelined requests that waited for it.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if self.isAwaitingWritability, context.channel.isWritable {
            self.isAwaitingWritability = false
            self.resumeReading(context: context)
        }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if error is HTTPParserError, self.machine.isReceivingRequest {
            self.perform(self.machine.refuse(HTTPResponse(status: .badRequest)), context: context)
        } else {
            self.logger.debug("HTTP connection error", metadata: ["error": "\(error)"])
            context.close(promise: nil)
        }
    }

    private func process(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        guard !self.isAwaitingWritability else {
            self.heldParts.append(part)  // decoded from bytes already read: at most one read's worth
            return
        }
        let action = self.machine.received(part)
        if case .holdForLater = action {
            self.heldParts.append(part)
        } else {
            self.perform(action, context: context)
        }
    }

    private func perform(_ action: HTTPConnectionStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none, .holdForLater:
            break
        case .respond(let head, let body):
            self.cancelHandshakeTimer()  // the request is complete in time; the delegate's time is its own
            self.isReadSuppressed = true
            let request = HTTPRequest(head: head, body: body, remoteAddress: context.channel.remoteAddress)
            self.delegate.respond(to: request, eventLoop: context.eventLoop).whenComplete(on: context.eventLoop) { result in
                let response = (try? result.get()) ?? HTTPResponse(status: .internalServerError)
                self.write(response, for: head, context: context)
            }
        case .decideUpgrade(let head, let key):
            self.cancelHandshakeTimer()
            self.isReadSuppressed = true
            let request = HTTPRequest(head: head, body: ByteBuffer(), remoteAddress: context.channel.remoteAddress)
            self.delegate.upgradeDecision(for: request, eventLoop: context.eventLoop)
                .whenComplete(on: context.eventLoop) { result in
                    self.completeHandshake(result, head: head, key: key, context: context)
                }
        case .refuseAndClose(let response):
            self.cancelHandshakeTimer()
            self.writeResponse(response, method: .GET, keepAlive: false, context: context).assumeIsolated()
                .whenComplete { _ in context.close(promise: nil) }
        }
    }

    /// Writes a plain request's response, then waits for the next request or closes.
    private func write(_ response: HTTPResponse, for head: HTTPRequestHead, context: ChannelHandlerContext) {
        let allowsKeepAlive = !response.headers[canonicalForm: "connection"].contains { $0.lowercased() == "close" }
        let keepAlive = self.machine.responseSent(responseAllowsKeepAlive: allowsKeepAlive)
        let written = self.writeResponse(response, method: head.method, keepAlive: keepAlive, context: context)
        guard keepAlive else {
            written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            return
        }
        self.armHandshakeTimer(context: context)
        self.resumeReading(context: context)
    }

    /// Replays parts that arrived during the response, then lets the channel read again; while the channel is
    /// not writable (a peer that does not read its responses) nothing more is answered or read.
    private func resumeReading(context: ChannelHandlerContext) {
        guard context.channel.isWritable else {
            self.isAwaitingWritability = true
            return
        }
        self.isReadSuppressed = false
        guard !self.isReplayingHeldParts else { return }  // the loop below continues
        self.isReplayingHeldParts = true
        while !self.isReadSuppressed, !self.isAwaitingWritability, let part = self.heldParts.popFirst() {
            self.process(part, context: context)
        }
        self.isReplayingHeldParts = false
        if !self.isReadSuppressed, self.hasPendingRead {
            self.hasPendingRead = false
            context.read()
        }
    }

    private func writeResponse(
        _ response: HTTPResponse, method: HTTPMethod, keepAlive: Bool, context: ChannelHandlerContext
    ) -> EventLoopFuture<Void> {
        var headers = response.headers
        headers.remove(name: "transfer-encoding")
        headers.replaceOrAdd(name: "content-length", value: String(response.body.readableBytes))
        headers.replaceOrAdd(name: "connection", value: keepAlive ? "keep-alive" : "close")
        let head = HTTPResponseHead(version: .http1_1, status: response.status, headers: headers)
        context.write(self.wrapOutboundOut(.head(head)), promise: nil)
        if method != .HEAD, response.body.readableBytes > 0 {
            context.write(self.wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
        }
        let promise = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: promise)
        return promise.futureResult
    }

    // MARK: Upgrade

    private func completeHandshake(
        _ result: Result<UpgradeDecision, Error>, head: HTTPRequestHead, key: String, context: ChannelHandlerContext
    ) {
        switch result {
        case .success(.upgrade(let handler, let extraHeaders)):
            self.upgrade(head: head, key: key, handler: handler, extraHeaders: extraHeaders, context: context)
        case .success(.reject(let response)):
            self.perform(self.machine.refuse(response), context: context)
        case .failure(let error):
            self.logger.debug("upgrade decision failed", metadata: ["error": "\(error)"])
            self.perform(self.machine.refuse(HTTPResponse(status: .internalServerError)), context: context)
        }
    }

    private func upgrade(
        head: HTTPRequestHead, key: String, handler: WebSocketSessionHandler, extraHeaders: HTTPHeaders,
        context: ChannelHandlerContext
    ) {
        self.machine.upgradeCompleted()
        self.cancelHandshakeTimer()
        let agreement =
            self.configuration.permessageDeflate
            ? PerMessageDeflateNegotiator.negotiate(
                headerValues: head.headers["sec-websocket-extensions"],
                requireClientNoContextTakeover: self.configuration.requireClientNoContextTakeover
            ) : nil
        let response = SwitchingProtocolsResponse.bytes(
            key: key, extensions: agreement?.responseHeaderValue, extraHeaders: extraHeaders,
            allocator: context.channel.allocator
        )
        let frameHandler = WebSocketFrameHandler(
            eventLoop: context.eventLoop, remoteAddress: context.channel.remoteAddress, handler: handler,
            deflate: agreement?.parameters, settings: .init(configuration: self.configuration)
        )
        let pipeline = context.pipeline.syncOperations
        do {
            // Order matters: nothing may write frames through the HTTP encoder or this handler, and the
            // decoder goes last so that bytes it already buffered reach the frame handler.
            pipeline.removeHandler(self.codec.encoder, promise: nil)
            context.writeAndFlush(NIOAny(response), promise: nil)  // bytes: the encoder is gone
            pipeline.removeHandler(context: context, promise: nil)
            try pipeline.addHandler(frameHandler)
            pipeline.removeHandler(self.codec.decoder, promise: nil)
        } catch {
            self.logger.debug("upgrade failed", metadata: ["error": "\(error)"])
            context.close(promise: nil)
            return
        }
        if self.hasPendingRead { context.channel.read() }
    }

    // MARK: Handshake timeout

    private func armHandshakeTimer(context: ChannelHandlerContext) {
        self.cancelHandshakeTimer()
        self.handshakeTimer = context.eventLoop.assumeIsolated().scheduleTask(in: self.configuration.handshakeTimeout) {
            context.close(promise: nil)
        }
    }

    private func cancelHandshakeTimer() {
        self.handshakeTimer?.cancel()
        self.handshakeTimer = nil
    }
}

extension WebSocketFrameHandler.Settings {
    init(configuration: WebSocketServerConfiguration) {
        self.init(
            limits: InboundLimits(maxFrameSize: configuration.maxFrameSize, maxMessageSize: configuration.maxMessageSize),
            idleTimeout: configuration.idleTimeout,
            session: .init(maxOutboundBytes: configuration.maxOutboundBytes, closeTimeout: configuration.closeTimeout)
        )
    }
}

@available(*, unavailable)
extension HTTPConnectionHandler: Sendable {}

extension EventLoopFuture {
    /// Calls `body` on `eventLoop` (which must be the current loop) with the result, hopping there if
    /// the delegate completed the future on another loop.
    fileprivate func whenComplete(on eventLoop: EventLoop, _ body: @escaping (Result<Value, Error>) -> Void) {
        if self.eventLoop === eventLoop {
            self.assumeIsolated().whenComplete(body)
            return
        }
        let callback = UncheckedTransfer(value: body)
        self.whenComplete { result in
            let transferred = UncheckedTransfer(value: result)
            eventLoop.execute { callback.value(transferred.value) }
        }
    }
}

/// Carries a value across loops where the code guarantees it is only used on the target loop.
private struct UncheckedTransfer<Value>: @unchecked Sendable {
    var value: Value
}
