// Keeps the connections open at once below the process's descriptor limit, minus a reserve, so accept never
// takes the last descriptors. At the limit itself every open() in the process fails: a reconnect to PostgreSQL
// or Redis, a JWKS fetch, and the Swift runtime's thread pool (libdispatch), which once a second reads
// /proc/<tid>/stat for its workers while work waits and aborts the process when that open fails. So the
// listeners stop accepting at the ceiling (new connections wait in the kernel's listen backlog) and resume as
// soon as a connection closes; the EMFILE backoff (AcceptBackoff) stays as the last line.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import Synchronization

/// The count of open accepted connections, shared by every listener of one server, and whether the listeners are
/// paused at the ceiling. One lock per accept and per close (never per message).
final class AcceptCeiling: Sendable {
    private struct State {
        var open = 0
        var paused = false
        var listeners: [Channel] = []
    }

    let ceiling: Int
    private let state = Mutex(State())
    private let reached: @Sendable () -> Void

    init(ceiling: Int, reached: @escaping @Sendable () -> Void) {
        self.ceiling = max(1, ceiling)
        self.reached = reached
    }

    /// The ceiling for a descriptor limit: the limit minus the reserve, at least one connection.
    static func ceiling(descriptorLimit: UInt64, reserve: Int) -> Int {
        let limit = min(descriptorLimit, UInt64(Int.max))
        return max(1, Int(limit) - max(0, reserve))
    }

    /// This process's soft limit on open descriptors (`ulimit -n`).
    static func descriptorLimit() -> UInt64 {
        var limit = rlimit()
        guard getrlimit(Self.noFile, &limit) == 0 else { return UInt64(Int.max) }
        return UInt64(limit.rlim_cur)
    }

    #if canImport(Glibc)
    private static let noFile = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let noFile = RLIMIT_NOFILE
    #endif

    var openConnections: Int { self.state.withLock { $0.open } }

    /// Whether the listeners should be accepting now.
    var isAccepting: Bool { self.state.withLock { !$0.paused } }

    func register(listener: Channel) {
        self.state.withLock { $0.listeners.append(listener) }
    }

    func unregister(listener: Channel) {
        self.state.withLock { $0.listeners.removeAll { $0 === listener } }
    }

    /// Counts an accepted connection; at the ceiling every listener stops accepting (again, should a listener
    /// have been resumed meanwhile by the EMFILE backoff). False when the accepting listener must stop now: the
    /// others stop when their loops run the task this leaves them, so each may accept one more read's worth first.
    func accepted() -> Bool {
        let (listeners, reachedNow) = self.state.withLock { state -> ([Channel], Bool) in
            state.open += 1
            guard state.open >= self.ceiling else { return ([], false) }
            defer { state.paused = true }
            return (state.listeners, !state.paused)
        }
        if reachedNow { self.reached() }
        self.applyState(to: listeners)
        return listeners.isEmpty
    }

    /// Counts a closed connection; under the ceiling again, every listener resumes accepting.
    func closed() {
        let listeners = self.state.withLock { state -> [Channel] in
            state.open -= 1
            guard state.open < self.ceiling, state.paused else { return [] }
            state.paused = false
            return state.listeners
        }
        self.applyState(to: listeners)
    }

    /// Sets each listener's `autoRead` on its own loop to the state current when the task runs, so a pause and a
    /// resume decided in quick succession end in the later one whatever order their tasks run in.
    private func applyState(to listeners: [Channel]) {
        for listener in listeners {
            listener.eventLoop.execute {
                try? listener.syncOptions?.setOption(.autoRead, value: self.isAccepting)
            }
        }
    }
}

/// On each listening socket: counts every accepted connection until it closes.
final class AcceptCeilingHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = Channel
    typealias InboundOut = Channel

    private let ceiling: AcceptCeiling

    init(ceiling: AcceptCeiling) {
        self.ceiling = ceiling
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.ceiling.register(listener: context.channel)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.ceiling.unregister(listener: context.channel)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let connection = self.unwrapInboundIn(data)
        let ceiling = self.ceiling
        connection.closeFuture.whenComplete { _ in ceiling.closed() }
        if !ceiling.accepted() {
            try? context.channel.syncOptions?.setOption(.autoRead, value: false)
        }
        context.fireChannelRead(data)
    }
}

@available(*, unavailable)
extension AcceptCeilingHandler: Sendable {}
