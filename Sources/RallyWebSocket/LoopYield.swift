// Lets work on an event loop go on after the loop has polled its sockets. A NIO task cannot do that: the
// loop runs every ready task, and the tasks those add, before it polls again. So each loop thread keeps one
// pipe whose read end is a channel of the loop: `yield` writes a byte; the loop's next poll finds the pipe
// readable together with whatever else became ready (a publisher's next request), handles those events and
// then, on the pipe's read, runs the continuation. Cost: one write, one read and one poll per yield.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOPosix

final class LoopYield: LoopYielding {
    private let writeEnd: CInt
    private var isRegistered = false
    private var continuation: (() -> Void)? = nil

    private init(writeEnd: CInt) {
        self.writeEnd = writeEnd
    }

    deinit {
        close(self.writeEnd)
    }

    /// A yield for `loop` (call on it), or nil where there is no poller (test loops) or no pipe. Usable once its
    /// channel is registered; until then `yield` declines.
    static func make(on loop: EventLoop) -> LoopYield? {
        guard let bootstrap = NIOPipeBootstrap(validatingGroup: loop) else { return nil }
        var ends: [CInt] = [-1, -1]
        guard pipe(&ends) == 0 else { return nil }
        for end in ends {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        let yielder = LoopYield(writeEnd: ends[1])
        let bound = NIOLoopBound(yielder, eventLoop: loop)
        let readEnd = ends[0]
        bootstrap.channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(Waker(yielder: bound.value))
            }
        }.takingOwnershipOfDescriptor(input: readEnd).assumeIsolated().whenComplete { result in
            switch result {
            case .success: yielder.isRegistered = true
            case .failure: close(readEnd)  // still ours when the channel could not be made
            }
        }
        return yielder
    }

    func yield(_ body: @escaping () -> Void) -> Bool {
        guard self.isRegistered, self.continuation == nil else { return false }
        var byte: UInt8 = 1
        guard write(self.writeEnd, &byte, 1) == 1 else { return false }
        self.continuation = body
        return true
    }

    fileprivate func wake() {
        let body = self.continuation
        self.continuation = nil
        body?()
    }

    /// The pipe's channel is gone (its loop is shutting down): no more yields, and a pending continuation runs now
    /// so the work it carries is not stranded.
    fileprivate func channelClosed() {
        self.isRegistered = false
        self.wake()
    }
}

/// The pipe's read end: the byte means nothing, its arrival is the signal.
private final class Waker: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let yielder: LoopYield

    init(yielder: LoopYield) {
        self.yielder = yielder
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func channelReadComplete(context: ChannelHandlerContext) {
        self.yielder.wake()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.yielder.channelClosed()
        context.fireChannelInactive()
    }
}
