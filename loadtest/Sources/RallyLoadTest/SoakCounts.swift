/// What the soak's sockets did and saw (one event loop's share, or merged over the run).
struct SoakCounts: Codable, Sendable {
    var broadcastsSent = 0
    /// Stamped broadcasts received (every other member of the topic gets each one: `self` is off).
    var broadcastsReceived = 0
    var presenceCalls = 0
    var presenceOK = 0
    var presenceDiffsReceived = 0
    var presenceStatesReceived = 0
    /// Leave one topic, join the next one, on the same socket.
    var rejoins = 0
    var rejoinsOK = 0
    /// Close a socket and open a new one (connect + join).
    var reconnects = 0
    var reconnectsOK = 0
    /// Of the reconnects, those that cut the TCP connection without a close handshake.
    var reconnectsAborted = 0
    /// Actions that found no idle, joined socket in their turn (the run was behind or sockets were busy).
    var skipped = 0
    /// Frames sent by the generator (heartbeats not counted) and frames received (all kinds).
    var framesSent = 0
    var framesReceived = 0
    /// Errors by reason: refused or timed-out requests, error replies, `system` errors, sockets or channels closed
    /// by the server, failed connects.
    var errors: [String: Int] = [:]

    var errorCount: Int { errors.values.reduce(0, +) }

    mutating func error(_ reason: String) {
        if errors[reason] == nil, errors.count >= 50 {
            errors["other", default: 0] += 1
        } else {
            errors[reason, default: 0] += 1
        }
    }

    mutating func merge(_ other: SoakCounts) {
        broadcastsSent += other.broadcastsSent
        broadcastsReceived += other.broadcastsReceived
        presenceCalls += other.presenceCalls
        presenceOK += other.presenceOK
        presenceDiffsReceived += other.presenceDiffsReceived
        presenceStatesReceived += other.presenceStatesReceived
        rejoins += other.rejoins
        rejoinsOK += other.rejoinsOK
        reconnects += other.reconnects
        reconnectsOK += other.reconnectsOK
        reconnectsAborted += other.reconnectsAborted
        skipped += other.skipped
        framesSent += other.framesSent
        framesReceived += other.framesReceived
        for (reason, count) in other.errors { errors[reason, default: 0] += count }
    }
}
