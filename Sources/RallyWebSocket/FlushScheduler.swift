// When a session's held-back writes go to its socket. Every session that accepted bytes is queued on its
// loop's scheduler, which flushes the queue in arrival order, `sliceSize` sessions at a time, and lets the
// loop poll its sockets between two slices (`LoopYield`). A message published meanwhile is handed to every
// subscriber at once — cheap: its bytes join each session's held-back buffer — so it rides in the same
// writev as the earlier messages for every session not yet flushed; a session already flushed is queued
// again, behind the others. The cost of a write (the syscall, the TCP stack) is then shared by all the
// messages that reached a session during one pass, whether the publisher pipelines or waits for each answer.
//
// Nothing waits at low rates: the first slice runs at the end of the tick that accepted the bytes (as a
// plain end-of-tick flush would), and each later slice after one poll of the loop's sockets (a pipe write
// and read). A session's frames keep their order (they are appended to one buffer, written by one flush),
// and what is held back counts against the session's outbound bound like what is in flight.
import NIOCore
import NIOPosix

/// The sessions waiting for a flush: first come, first flushed, a slice at a time. Pure (no I/O).
struct FlushQueue<Item: AnyObject> {
    let sliceSize: Int
    private var waiting = CircularBuffer<Item>()

    init(sliceSize: Int) {
        precondition(sliceSize > 0, "a slice holds at least one session")
        self.sliceSize = sliceSize
    }

    var isEmpty: Bool { waiting.isEmpty }
    var count: Int { waiting.count }

    mutating func append(_ item: Item) {
        waiting.append(item)
    }

    /// Replaces `slice` with the next (at most `sliceSize` items, in arrival order), taken out of the queue.
    mutating func takeSlice(into slice: inout [Item]) {
        slice.removeAll(keepingCapacity: true)
        while slice.count < sliceSize, let item = waiting.popFirst() { slice.append(item) }
    }
}

/// Runs a continuation once the loop has polled its sockets (see `LoopYield`).
protocol LoopYielding: AnyObject {
    /// Arranges for `body` to run after the loop's next poll; false when it cannot (the caller goes on at once).
    func yield(_ body: @escaping () -> Void) -> Bool
}

/// Flushes the sessions of one event loop, a slice at a time. One instance per thread (an event loop is one
/// thread); every method runs there.
final class FlushScheduler {
    /// Sessions written between two polls of the loop's sockets. Fewer costs more polls; more lets a message that
    /// arrives meanwhile miss more sessions' writes (BENCHMARKS.md, "Fanout that batches by itself").
    static let defaultSliceSize = 64

    /// One per thread: a thread only ever sees its own value, so sharing the variable is safe.
    nonisolated(unsafe) private static let perThread = ThreadSpecificVariable<FlushScheduler>()

    private var queue: FlushQueue<WebSocketSession>
    private var slice: [WebSocketSession] = []
    /// The loop of the queued sessions while a pass is under way.
    private var loop: EventLoop? = nil
    private var isPassScheduled = false
    private let makeYielder: (EventLoop) -> LoopYielding?
    private var yielder: (loop: EventLoop, yielder: LoopYielding?)? = nil

    init(sliceSize: Int = FlushScheduler.defaultSliceSize,
         makeYielder: @escaping (EventLoop) -> LoopYielding? = { LoopYield.make(on: $0) }) {
        self.queue = FlushQueue(sliceSize: sliceSize)
        self.makeYielder = makeYielder
    }

    static var current: FlushScheduler {
        if let scheduler = perThread.currentValue { return scheduler }
        let scheduler = FlushScheduler()
        perThread.currentValue = scheduler
        return scheduler
    }

    /// Makes `scheduler` this thread's (tests).
    static func install(_ scheduler: FlushScheduler) {
        perThread.currentValue = scheduler
    }

    /// Queues `session` for a flush. Returns false when it cannot be queued (sessions of another event loop are
    /// waiting on this thread, as with test loops): the caller flushes itself.
    func schedule(_ session: WebSocketSession) -> Bool {
        if let loop = self.loop, loop !== session.eventLoop { return false }
        self.loop = session.eventLoop
        self.queue.append(session)
        if !self.isPassScheduled {
            self.isPassScheduled = true
            session.eventLoop.assumeIsolated().execute { self.flushSlice() }
        }
        return true
    }

    /// Flushes the next slice, then lets the loop poll its sockets before the one after, if any.
    private func flushSlice() {
        self.queue.takeSlice(into: &self.slice)
        for session in self.slice { session.flushScheduledWrites() }
        self.slice.removeAll(keepingCapacity: true)
        guard let loop = self.loop, !self.queue.isEmpty else {
            self.isPassScheduled = false
            self.loop = nil
            return
        }
        if self.yielder(on: loop)?.yield({ self.flushSlice() }) == true { return }
        loop.assumeIsolated().execute { self.flushSlice() }
    }

    private func yielder(on loop: EventLoop) -> LoopYielding? {
        if let yielder, yielder.loop === loop { return yielder.yielder }
        let made = self.makeYielder(loop)
        self.yielder = (loop, made)
        return made
    }
}
