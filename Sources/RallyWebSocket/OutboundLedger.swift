// Bytes a session has accepted and not yet written: the count behind its bounded outbound queue.

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
