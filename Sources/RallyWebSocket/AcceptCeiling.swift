// Keeps accepted connections out of the top descriptor numbers, so accept never takes the last descriptors. At the
// limit itself every open() in the process fails: a reconnect to PostgreSQL or Redis, a JWKS fetch, and the Swift
// runtime's thread pool (libdispatch), which once a second reads /proc/<tid>/stat for its workers while work waits
// and aborts the process when that open fails. Linux gives every new descriptor the lowest free number, so "a free
// descriptor below the ceiling" is one dup of a spare descriptor away: after each accept the listener looks, and
// when every number below the ceiling is taken all listeners stop accepting (new connections wait in the kernel's
// listen backlog) until a look, every `recheck`, finds one free again. Nothing is kept per connection and nothing
// is counted, so nothing can drift; the EMFILE backoff (AcceptBackoff) stays as the last line.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import Synchronization

final class AcceptCeiling: Sendable {
    private struct State {
        var paused = false
        var listeners: [Channel] = []
    }

    /// Accepted connections never take this descriptor number or a higher one (but for the few a listener
    /// accepts in the read that finds the ceiling reached).
    let ceiling: Int32
    private let spare: Int32
    private let recheck: TimeAmount
    private let state = Mutex(State())
    private let reached: @Sendable () -> Void

    /// `ceiling`: a descriptor number (see `ceiling(descriptorLimit:reserve:)`).
    init(ceiling: Int32, recheck: TimeAmount = .milliseconds(20), reached: @escaping @Sendable () -> Void) {
        self.ceiling = max(1, ceiling)
        self.spare = open("/dev/null", O_RDONLY | O_CLOEXEC)
        self.recheck = recheck
        self.reached = reached
    }

    deinit {
        if self.spare >= 0 { close(self.spare) }
    }

    /// The ceiling for a descriptor limit: the limit minus the reserve, at least 1.
    static func ceiling(descriptorLimit: UInt64, reserve: Int) -> Int32 {
        let limit = Int64(min(descriptorLimit, UInt64(Int32.max)))
        return Int32(max(1, limit - Int64(max(0, reserve))))
    }

    /// This process's soft limit on open descriptors (`ulimit -n`).
    static func descriptorLimit() -> UInt64 {
        var limit = rlimit()
        guard getrlimit(Self.noFile, &limit) == 0 else { return UInt64(Int32.max) }
        return UInt64(limit.rlim_cur)
    }

    #if canImport(Glibc)
    private static let noFile = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let noFile = RLIMIT_NOFILE
    #endif

    /// False when the spare descriptor could not be opened: then nothing is enforced (and the server says so).
    var isEnforced: Bool { self.spare >= 0 }

    /// Whether a descriptor below the ceiling is free (one dup and one close; true if the spare could not be
    /// opened, false if the table is full).
    var hasRoom: Bool {
        guard self.spare >= 0 else { return true }
        let lowestFree = fcntl(self.spare, F_DUPFD_CLOEXEC, 0)
        guard lowestFree >= 0 else { return false }
        close(lowestFree)
        return lowestFree < self.ceiling
    }

    /// Whether the listeners should be accepting now.
    var isAccepting: Bool { self.state.withLock { !$0.paused } }

    func register(listener: Channel) {
        self.state.withLock { $0.listeners.append(listener) }
    }

    func unregister(listener: Channel) {
        self.state.withLock { $0.listeners.removeAll { $0 === listener } }
    }

    /// Looks after a connection `listener` accepted; false when every descriptor below the ceiling is taken: then
    /// `listener` must stop now, the others stop when their loops run the task this leaves them, and `listener`'s
    /// loop looks again every `recheck` until there is room.
    func accepted(by listener: Channel) -> Bool {
        guard !self.hasRoom else { return true }
        let (listeners, reachedNow) = self.state.withLock { state -> ([Channel], Bool) in
            defer { state.paused = true }
            return (state.listeners, !state.paused)
        }
        if reachedNow {
            self.reached()
            self.scheduleRecheck(on: listener.eventLoop)
        }
        self.applyState(to: listeners)
        return false
    }

    private func scheduleRecheck(on loop: EventLoop) {
        loop.scheduleTask(in: self.recheck) { self.recheckRoom(on: loop) }
    }

    private func recheckRoom(on loop: EventLoop) {
        guard self.hasRoom else {
            if !self.state.withLock({ $0.listeners.isEmpty }) { self.scheduleRecheck(on: loop) }
            return
        }
        let listeners = self.state.withLock { state -> [Channel] in
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

/// On each listening socket: after every accepted connection, stops accepting if the ceiling is reached.
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
        if !self.ceiling.accepted(by: context.channel) {
            try? context.channel.syncOptions?.setOption(.autoRead, value: false)
        }
        context.fireChannelRead(data)
    }
}

@available(*, unavailable)
extension AcceptCeilingHandler: Sendable {}
