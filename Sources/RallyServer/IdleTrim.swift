#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Foundation
import Logging
import Metrics
import NIOConcurrencyHelpers
import NIOCore

/// When to hand freed heap back to the kernel. glibc's malloc keeps the memory of closed sockets and of their
/// drained queues in its arenas (one per thread that allocated, up to 8 per core) and returns only what sits at the
/// top of a heap; `malloc_trim(0)` also releases the free pages inside every arena. Rally calls it once the
/// connection count has stayed far enough below its high since the last trim for `idle`: `minimumDrop` sockets, or
/// half the high on a node that never had twice that many. That is after a flood of sockets is gone, not on every
/// close. A pure state machine: the caller observes the count, this says when to trim.
struct IdleTrimTrigger: Sendable, Equatable {
    /// How long the drop must last before the trim (nanoseconds).
    let idle: Int64
    /// Fewer connections than this (or than half the high, if that is less) below the high since the last trim is no
    /// reason to trim.
    let minimumDrop: Int
    /// Highest connection count seen since the last trim (or the start).
    private(set) var high: Int
    /// Since when the count has been at least `minimumDrop` below `high` (nil: it is not).
    private(set) var droppedSince: Int64?

    init(idle: Int64, minimumDrop: Int, connections: Int) {
        self.idle = idle
        self.minimumDrop = max(1, minimumDrop)
        high = connections
    }

    /// One look at the connection count at monotonic time `now` (ns); true when a trim is due now. The caller
    /// trims and then calls `trimmed(connections:)`.
    mutating func observe(connections: Int, now: Int64) -> Bool {
        if connections > high { high = connections }
        guard high > 0, high - connections >= min(minimumDrop, max(1, high / 2)) else {
            droppedSince = nil
            return false
        }
        let since = droppedSince ?? now
        droppedSince = since
        return now - since >= idle
    }

    /// The trim ran with `connections` open: the next one needs a new drop from here (or from a new high).
    mutating func trimmed(connections: Int) {
        high = connections
        droppedSince = nil
    }
}

/// The node's idle trim: a check once a second on one event loop, `malloc_trim(0)` on a utility thread (it takes
/// each arena's lock in turn; the event loops go on serving meanwhile). Off when `idle` is nil; a no-op on
/// platforms without glibc.
final class IdleTrimmer: Sendable {
    private let task: NIOLockedValueBox<RepeatedTask?> = .init(nil)

    /// Starts the checks on `loop` every `interval`; `connections` reads the node's open socket count, `trim` runs on
    /// a utility thread when a trim is due (`malloc_trim(0)` by default).
    static func start(idle: TimeAmount?, minimumDrop: Int, on loop: EventLoop, interval: TimeAmount = .seconds(1),
                      connections: @escaping @Sendable () -> Int, logger: Logger,
                      trim: @escaping @Sendable () -> Void = IdleTrimmer.mallocTrim) -> IdleTrimmer {
        let trimmer = IdleTrimmer()
        guard let idle, idle.nanoseconds > 0 else { return trimmer }
        let state = NIOLockedValueBox(IdleTrimTrigger(
            idle: idle.nanoseconds, minimumDrop: minimumDrop, connections: connections()))
        let trims = Counter(label: "rally_malloc_trims_total")
        let repeated = loop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            let open = connections()
            let due = state.withLockedValue { trigger -> Bool in
                guard trigger.observe(connections: open, now: Int64(NIODeadline.now().uptimeNanoseconds)) else { return false }
                trigger.trimmed(connections: open)
                return true
            }
            guard due else { return }
            DispatchQueue.global(qos: .utility).async {
                let before = residentBytes()
                let started = NIODeadline.now()
                trim()
                let milliseconds = Double((NIODeadline.now() - started).nanoseconds) / 1e6
                trims.increment()
                logger.info("returned freed heap to the kernel", metadata: [
                    "connections": "\(open)", "rss_before": "\(before)", "rss_after": "\(residentBytes())",
                    "milliseconds": "\(milliseconds)",
                ])
            }
        }
        trimmer.task.withLockedValue { $0 = repeated }
        return trimmer
    }

    /// `malloc_trim(0)` where the C library has it (glibc); nothing elsewhere. Looked up once with `dlsym`: Swift's
    /// Glibc module does not export `<malloc.h>`.
    @Sendable static func mallocTrim() {
        _ = mallocTrimFunction?(0)
    }

    private typealias MallocTrim = @convention(c) (Int) -> Int32

    private static let mallocTrimFunction: MallocTrim? = {
        #if canImport(Glibc)
        guard let symbol = dlsym(nil, "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: MallocTrim.self)
        #else
        return nil
        #endif
    }()

    /// Whether this process can trim (glibc).
    static var canTrim: Bool { mallocTrimFunction != nil }

    func stop() {
        task.withLockedValue { $0?.cancel(); $0 = nil }
    }

    /// This process's resident bytes (/proc/self/statm, second field, in pages); 0 where unreadable.
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
