// Outbound accounting per session and flush coalescing per event loop.
//
// A session never blocks and never queues without bound: every byte accepted by `send` is counted
// until its socket write completes, and a send that would go past the bound closes the session as a
// slow consumer (1013) instead of queueing. Writes are flushed once per event-loop tick, so a fanout
// that sends to many sessions costs one flush (one writev) per session, not one per message.
import NIOCore
import NIOPosix

/// Bytes accepted for sending and not yet written to the socket.
struct OutboundLedger {
    let limit: Int
    /// Accepted but not yet flushed.
    private(set) var unflushedBytes = 0
    /// Flushed, with the socket write not yet complete.
    private(set) var inFlightBytes = 0

    init(limit: Int) {
        self.limit = limit
    }

    var queuedBytes: Int { self.unflushedBytes + self.inFlightBytes }

    /// Whether `size` more bytes fit. A message alone larger than the bound still fits an empty
    /// queue: the peer is not slow, the message is just big (message size has its own limits).
    func admits(_ size: Int) -> Bool {
        self.queuedBytes == 0 || self.queuedBytes + size <= self.limit
    }

    mutating func accept(_ size: Int) {
        self.unflushedBytes += size
    }

    /// Moves the unflushed bytes in flight; returns the size of that batch.
    mutating func flush() -> Int {
        let batch = self.unflushedBytes
        self.inFlightBytes += batch
        self.unflushedBytes = 0
        return batch
    }

    /// A flushed batch was written (or failed because the socket closed).
    mutating func complete(_ batch: Int) {
        self.inFlightBytes -= batch
    }
}

/// Coalesces flushes: sessions that wrote during this event-loop tick are flushed together by one
/// task at its end. One instance per thread; an event loop is one thread.
final class FlushScheduler {
    private static let perThread = ThreadSpecificVariable<FlushScheduler>()

    private var pending: [WebSocketSession] = []
    private var pendingLoop: EventLoop? = nil

    static var current: FlushScheduler {
        if let scheduler = perThread.currentValue { return scheduler }
        let scheduler = FlushScheduler()
        perThread.currentValue = scheduler
        return scheduler
    }

    /// Flush `session` at the end of this tick. Returns false when it could not be batched (a
    /// different event loop on this thread, as with test loops): the caller flushes itself.
    func schedule(_ session: WebSocketSession) -> Bool {
        if self.pending.isEmpty {
            self.pendingLoop = session.eventLoop
            session.eventLoop.assumeIsolated().execute { self.flushPending() }
        } else if self.pendingLoop !== session.eventLoop {
            return false
        }
        self.pending.append(session)
        return true
    }

    private func flushPending() {
        let sessions = self.pending
        self.pending = []
        self.pendingLoop = nil
        for session in sessions {
            session.flushScheduledWrites()
        }
    }
}
