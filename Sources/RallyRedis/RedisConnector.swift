import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// Opens one set-up channel to Redis: TCP (or TLS), the hiredis decoder, a `RedisCommandHandler`, then AUTH,
/// SELECT and CLIENT SETNAME pipelined; any error reply fails the attempt and closes the channel.
struct RedisConnector: Sendable {
    let configuration: RedisConfiguration
    let sslContext: NIOSSLContext?

    init(configuration: RedisConfiguration) throws {
        self.configuration = configuration
        self.sslContext = configuration.url.tls ? try NIOSSLContext(configuration: configuration.tls) : nil
    }

    /// A connected channel whose handshake succeeded, with its command handler.
    func connect(on eventLoop: any EventLoop) -> EventLoopFuture<Channel> {
        let url = configuration.url
        return makeBootstrap(on: eventLoop)
            .connect(host: url.host, port: url.port)
            .flatMap { channel in
                // A server that accepts but never answers must not hold the attempt forever.
                let timeout = channel.eventLoop.scheduleTask(in: configuration.connectTimeout) {
                    channel.close(promise: nil)
                }
                let handler = try? channel.pipeline.syncOperations.handler(type: RedisCommandHandler.self)
                return handshake(channel)
                    .always { _ in timeout.cancel() }
                    .map { channel }
                    .flatMapErrorThrowing { error in
                        channel.close(promise: nil)
                        throw handler?.closeCause ?? error  // e.g. the TLS error rather than connectionLost
                    }
            }
    }

    private func makeBootstrap(on eventLoop: any EventLoop) -> ClientBootstrap {
        let sslContext = self.sslContext
        let serverHostname = sslContext == nil ? nil : tlsHostname
        let maxPendingBytes = configuration.maxPendingBytes
        return ClientBootstrap(group: eventLoop)
            .connectTimeout(configuration.connectTimeout)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelOption(ChannelOptions.socketOption(.so_keepalive), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let operations = channel.pipeline.syncOperations
                    if let sslContext {
                        try operations.addHandler(try NIOSSLClientHandler(context: sslContext,
                                                                          serverHostname: serverHostname))
                    }
                    try operations.addHandler(RESPReplyDecoder(maxPendingBytes: maxPendingBytes))
                    try operations.addHandler(RedisCommandHandler())
                }
            }
    }

    /// SNI and verification name: the configured one, else the URL host unless it is an IP address.
    private var tlsHostname: String? {
        if let name = configuration.tlsServerHostname { return name }
        let host = configuration.url.host
        let isIP = (try? SocketAddress(ipAddress: host, port: 0)) != nil
        return isIP ? nil : host
    }

    private func handshake(_ channel: Channel) -> EventLoopFuture<Void> {
        let commands = configuration.handshakeCommands
        guard !commands.isEmpty else { return channel.eventLoop.makeSucceededVoidFuture() }
        var replies: [EventLoopFuture<RESPValue>] = []
        for arguments in commands {
            let promise = channel.eventLoop.makePromise(of: RESPValue.self)
            do {
                let bytes = try RESPCommandEncoder.encode(arguments, allocator: channel.allocator)
                channel.write(RedisCommand(bytes: bytes, reply: promise), promise: nil)
            } catch {
                promise.fail(error)
            }
            replies.append(promise.futureResult)
        }
        channel.flush()
        return EventLoopFuture.whenAllSucceed(replies, on: channel.eventLoop).flatMapThrowing { values in
            for (arguments, value) in zip(commands, values) {
                if let message = value.errorMessage {
                    let command = arguments.count > 2 ? "\(arguments[0]) \(arguments[1])" : arguments[0]
                    throw RedisError.handshakeFailed("\(command): \(message)")
                }
            }
        }
    }
}

extension RedisConnector {
    /// Connects, sends one command, returns its reply and closes (used to read a cluster's topology). The reply
    /// must come within the connect timeout, else the command fails with `connectionLost`.
    static func oneShot(configuration: RedisConfiguration, on eventLoop: any EventLoop,
                        _ arguments: [String]) -> EventLoopFuture<RESPValue> {
        let connector: RedisConnector
        do {
            connector = try RedisConnector(configuration: configuration)
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
        return connector.connect(on: eventLoop).flatMap { channel in
            let promise = eventLoop.makePromise(of: RESPValue.self)
            do {
                let bytes = try RESPCommandEncoder.encode(arguments, allocator: channel.allocator)
                channel.writeAndFlush(RedisCommand(bytes: bytes, reply: promise), promise: nil)
            } catch {
                promise.fail(error)
            }
            let timeout = eventLoop.scheduleTask(in: configuration.connectTimeout) { channel.close(promise: nil) }
            return promise.futureResult.always { _ in
                timeout.cancel()
                channel.close(promise: nil)
            }
        }
    }
}

/// One formatted command and the promise its reply completes.
struct RedisCommand: Sendable {
    var bytes: ByteBuffer
    var reply: EventLoopPromise<RESPValue>
}

/// The request/reply side of a RESP2 connection: each written command appends its promise to a FIFO, each
/// reply completes the oldest one (RESP2 replies come in command order). When the channel goes away every
/// pending promise fails with `RedisError.connectionLost` (or the error that closed it).
///
/// Confined to its channel's event loop. Writes are not flushed here: the owner flushes once per loop tick.
final class RedisCommandHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = RESPValue
    typealias OutboundIn = RedisCommand
    typealias OutboundOut = ByteBuffer

    private var pending = CircularBuffer<EventLoopPromise<RESPValue>>(initialCapacity: 64)
    private var closeError: RedisError?
    private var isClosed = false
    /// The first error seen in the pipeline (a TLS failure, a protocol error), for connection setup to report.
    private(set) var closeCause: (any Error)?

    /// Commands written and not yet answered.
    var pendingCount: Int { pending.count }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let command = unwrapOutboundIn(data)
        guard !isClosed else {
            command.reply.fail(closeError ?? RedisError.connectionLost)
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        pending.append(command.reply)
        context.write(wrapOutboundOut(command.bytes), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let value = unwrapInboundIn(data)
        guard let promise = pending.popFirst() else {
            context.fireErrorCaught(RedisError.protocolError("a reply arrived with no command waiting"))
            context.close(promise: nil)
            return
        }
        promise.succeed(value)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if closeError == nil, let error = error as? RedisError { closeError = error }
        if closeCause == nil { closeCause = error }
        context.fireErrorCaught(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failPending()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        failPending()
    }

    /// Fails every waiting command: their outcome is unknown.
    private func failPending() {
        isClosed = true
        while let promise = pending.popFirst() {
            promise.fail(RedisError.connectionLost)
        }
    }
}
