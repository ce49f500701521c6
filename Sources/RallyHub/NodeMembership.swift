import NIOCore

/// Which other nodes are alive, from their heartbeats on the control channel. Pure: the cluster link feeds it
/// heartbeats and the time, and acts on what it returns.
struct NodeMembership {
    /// A node silent for longer than this is down (its presence leaves).
    let timeout: TimeAmount
    private(set) var lastSeen: [UInt64: NIODeadline] = [:]

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    var alive: Set<UInt64> { Set(lastSeen.keys) }

    /// Records a heartbeat; true when the node was not known (new, or back after being declared down).
    mutating func heard(_ node: UInt64, at now: NIODeadline) -> Bool {
        lastSeen.updateValue(now, forKey: node) == nil
    }

    /// Forgets a node that said it is leaving; true when it was known.
    mutating func leave(_ node: UInt64) -> Bool {
        lastSeen.removeValue(forKey: node) != nil
    }

    /// Removes and returns the nodes silent for longer than `timeout`.
    mutating func expire(at now: NIODeadline) -> [UInt64] {
        let down = lastSeen.filter { now - $0.value > timeout }.map(\.key)
        for node in down { lastSeen[node] = nil }
        return down.sorted()
    }
}

/// Per topic, the last sequence number seen from each origin node: drops what the bus delivered twice and notices
/// what it lost. Owned by the topic's state (its shard's loop), so it lives exactly as long as the subscription.
struct BusLedger {
    enum Verdict: Equatable {
        case fresh
        case duplicate
        /// Accepted, but the origin had published something on this topic since the last one seen here.
        case afterGap
    }

    private var lastSeen: [UInt64: UInt64] = [:]

    mutating func admit(origin: UInt64, sequence: UInt64, previous: UInt64) -> Verdict {
        let last = lastSeen[origin]
        if let last, sequence <= last { return .duplicate }
        lastSeen[origin] = sequence
        guard let last, previous != 0 else { return .fresh }
        return previous == last ? .fresh : .afterGap
    }

    mutating func forget(_ origin: UInt64) { lastSeen[origin] = nil }
}
