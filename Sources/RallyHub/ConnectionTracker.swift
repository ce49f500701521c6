import Foundation
import NIOCore
import NIOWebSocket
import Synchronization

/// The open sockets of this node, one table per event loop (each touched only on its loop), for drain and counts.
public final class ConnectionTracker: Sendable {
    private let tables: [Table]
    private let total = Atomic<Int>(0)

    /// How often each loop looks for channels whose token expired (a channel closes at most this late).
    static let expirySweepInterval = TimeAmount.seconds(1)

    /// Loop-confined table of one loop's connections.
    final class Table: @unchecked Sendable {
        let eventLoop: EventLoop
        var connections: [ObjectIdentifier: ClientConnection] = [:]
        /// Runs while the loop has connections that joined with an expiring token.
        var expirySweep: RepeatedTask?
        init(eventLoop: EventLoop) { self.eventLoop = eventLoop }

        func sweepExpired(now: Double) {
            var watching = false
            for connection in connections.values where connection.expiryDeadline != nil {
                connection.sweepExpiry(now: now)
                watching = true
            }
            if !watching { stopSweep() }
        }

        func stopSweep() {
            expirySweep?.cancel()
            expirySweep = nil
        }
    }

    /// The joined channels by holder, subtopic and kind (`ChannelIndex`), per loop like `tables`.
    let index: ChannelIndex
    /// What each loop's channels share (`LoopSharing`).
    let sharing: [LoopSharing]

    init(loops: [EventLoop]) {
        tables = loops.map(Table.init)
        index = ChannelIndex(loops: loops)
        sharing = loops.map(LoopSharing.init)
    }

    public var count: Int { total.load(ordering: .relaxed) }

    func add(_ connection: ClientConnection, loopIndex: Int) {
        let table = tables[loopIndex]
        table.eventLoop.assertInEventLoop()
        if table.connections.updateValue(connection, forKey: ObjectIdentifier(connection)) == nil {
            total.add(1, ordering: .relaxed)
        }
    }

    func remove(_ connection: ClientConnection, loopIndex: Int) {
        let table = tables[loopIndex]
        table.eventLoop.assertInEventLoop()
        if table.connections.removeValue(forKey: ObjectIdentifier(connection)) != nil {
            total.subtract(1, ordering: .relaxed)
        }
        if table.connections.isEmpty { table.stopSweep() }
    }

    /// Whether the loop's expiry sweep runs (tests).
    func isSweepingExpiry(loopIndex: Int) -> Bool {
        let table = tables[loopIndex]
        table.eventLoop.assertInEventLoop()
        return table.expirySweep != nil
    }

    /// Starts the loop's expiry sweep unless it runs (one repeated task per loop instead of a timer per socket).
    func watchExpiry(loopIndex: Int, clock: @escaping @Sendable () -> Date) {
        let table = tables[loopIndex]
        table.eventLoop.assertInEventLoop()
        guard table.expirySweep == nil else { return }
        table.expirySweep = table.eventLoop.scheduleRepeatedTask(
            initialDelay: Self.expirySweepInterval, delay: Self.expirySweepInterval
        ) { _ in table.sweepExpired(now: clock().timeIntervalSince1970) }
    }

    /// Runs `body` for every open connection, on that connection's loop; completes when every returned future has.
    func forEachConnection(on loop: EventLoop,
                           _ body: @escaping @Sendable (ClientConnection) -> EventLoopFuture<Void>) -> EventLoopFuture<Void> {
        let perLoop = tables.map { table in
            table.eventLoop.flatSubmit {
                EventLoopFuture.andAllComplete(table.connections.values.map(body), on: table.eventLoop)
            }
        }
        return EventLoopFuture.andAllComplete(perLoop, on: loop)
    }

    /// Closes every socket with `code`, `batchSize` per loop at a time with `interval` between batches. The future
    /// completes when every loop has issued its closes.
    func closeAll(code: WebSocketErrorCode, reason: String, batchSize: Int, interval: TimeAmount,
                  on loop: EventLoop) -> EventLoopFuture<Void> {
        let perLoop = tables.map { table in
            table.eventLoop.flatSubmit {
                Self.closeInBatches(Array(table.connections.values), table: table, code: code, reason: reason,
                                    batchSize: max(1, batchSize), interval: interval)
            }
        }
        return EventLoopFuture.andAllComplete(perLoop, on: loop)
    }

    private static func closeInBatches(_ pending: [ClientConnection], table: Table, code: WebSocketErrorCode,
                                       reason: String, batchSize: Int, interval: TimeAmount) -> EventLoopFuture<Void> {
        let batch = pending.prefix(batchSize)
        for connection in batch { connection.closeSocket(code: code, reason: reason, cause: "drain") }
        let rest = Array(pending.dropFirst(batchSize))
        guard !rest.isEmpty else { return table.eventLoop.makeSucceededVoidFuture() }
        return table.eventLoop.flatScheduleTask(in: interval) {
            closeInBatches(rest, table: table, code: code, reason: reason, batchSize: batchSize, interval: interval)
        }.futureResult
    }
}
