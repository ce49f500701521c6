// Bytes a session has accepted and not yet written: the count behind its bounded outbound queue.
//
// Flushed bytes are counted without a write promise: a promise per flush (an allocation, a callback and its
// completion on every socket write of a fanout) was the largest per-write cost Rally added to NIO's. Instead the
// ledger keeps an upper bound of what the socket may still hold — every flushed byte, never lowered by itself —
// and only when a send would pass the limit asks the channel how much it really still buffers
// (`refresh(socketHolds:)`). The bound is therefore exact where it matters: a session is closed as a slow consumer
// only when the socket's real backlog plus what it accepted would pass the limit.

/// Bytes accepted for sending and not yet written to the socket.
struct OutboundLedger {
    let limit: Int
    /// Accepted but not yet flushed.
    private(set) var unflushedBytes = 0
    /// Of `unflushedBytes`, those already handed to the channel unflushed (a batch past its size bound): the
    /// channel counts them in what it buffers.
    private(set) var handedBytes = 0
    /// Flushed and perhaps not yet written: at least what the socket still holds of them.
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

    /// `size` accepted bytes went to the channel ahead of the flush.
    mutating func hand(_ size: Int) {
        self.handedBytes += size
    }

    /// Moves the unflushed bytes in flight.
    mutating func flush() {
        self.inFlightBytes += self.unflushedBytes
        self.unflushedBytes = 0
        self.handedBytes = 0
    }

    /// The channel buffers `socketHolds` bytes (flushed or handed, not yet written): what is in flight is at most
    /// that, less what was handed unflushed.
    mutating func refresh(socketHolds: Int) {
        self.inFlightBytes = min(self.inFlightBytes, max(0, socketHolds - self.handedBytes))
    }
}
