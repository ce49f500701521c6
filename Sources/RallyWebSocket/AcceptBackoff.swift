// Pauses the listening socket after an accept fails for want of resources (EMFILE/ENFILE at the descriptor
// limit, ENOBUFS, ENOMEM). NIO keeps the server channel's read pending after such a failure, so the socket
// stays registered as readable and the loop retries at once, burning a core; NIO's AcceptBackoffHandler only
// delays the next read request and cannot stop that. Turning `autoRead` off takes the socket out of the
// poller; it is turned back on after the backoff, and a connection still waiting is accepted then.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

final class AcceptBackoff: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = Channel
    typealias InboundOut = Channel

    private let backoff: TimeAmount
    private let acceptFailed: @Sendable (IOError) -> Void
    private var resumption: Scheduled<Void>? = nil

    init(backoff: TimeAmount, acceptFailed: @escaping @Sendable (IOError) -> Void) {
        self.backoff = backoff
        self.acceptFailed = acceptFailed
    }

    /// The errors after which accepting again at once would fail again.
    static func isResourceExhaustion(_ error: IOError) -> Bool {
        [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(error.errnoCode)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard let ioError = error as? IOError else {
            context.fireErrorCaught(error)
            return
        }
        self.acceptFailed(ioError)
        guard Self.isResourceExhaustion(ioError), self.resumption == nil else { return }
        try? context.channel.syncOptions?.setOption(.autoRead, value: false)
        self.resumption = context.eventLoop.assumeIsolated().scheduleTask(in: self.backoff) {
            self.resumption = nil
            try? context.channel.syncOptions?.setOption(.autoRead, value: true)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.cancelResumption()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.cancelResumption()
    }

    private func cancelResumption() {
        self.resumption?.cancel()
        self.resumption = nil
    }
}

@available(*, unavailable)
extension AcceptBackoff: Sendable {}
