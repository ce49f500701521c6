import NIOCore

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
