// Who subscribes to what, one table per event loop: a subscriber is filed on its own loop's table, and a publish
// reaches every loop's table (directly on its own loop, one task for each other), so no table is ever shared.
import NIOCore

/// The topic tables of every loop. Immutable after start: read from any loop.
final class FloorTopics: Sendable {
    private let tables: [LoopTopics]

    init(loops: [EventLoop]) {
        self.tables = loops.map(LoopTopics.init(loop:))
    }

    /// The table of the calling loop.
    func table(of loop: EventLoop) -> LoopTopics {
        tables.first { $0.loop === loop }!
    }

    /// Sends `frame` to every subscriber of `topic`, on every loop. Called on `loop`.
    func publish(_ frame: ByteBuffer, topic: String, from loop: EventLoop) {
        for table in tables {
            if table.loop === loop {
                table.deliver(frame, topic: topic)
            } else {
                table.loop.execute { table.deliver(frame, topic: topic) }
            }
        }
    }
}

/// The subscribers of one loop, by topic. Confined to `loop` (every method runs there): no lock.
final class LoopTopics: @unchecked Sendable {
    let loop: EventLoop
    private var subscribers: [String: [FloorConnection]] = [:]
    /// Sessions written since the last flush, flushed once at the end of the loop's current tick.
    private var unflushed: [FloorConnection] = []

    init(loop: EventLoop) {
        self.loop = loop
    }

    func add(_ connection: FloorConnection, topic: String) {
        connection.slot = subscribers[topic, default: []].count
        subscribers[topic, default: []].append(connection)
    }

    /// Takes `connection` out of its topic's list (the last subscriber moves into its slot).
    func remove(_ connection: FloorConnection, topic: String) {
        guard var list = subscribers[topic], connection.slot >= 0, connection.slot < list.count else { return }
        subscribers[topic] = nil  // `list` is then the only reference: the removal does not copy it
        let last = list.removeLast()
        if last !== connection {
            list[connection.slot] = last
            last.slot = connection.slot
        }
        connection.slot = -1
        if !list.isEmpty { subscribers[topic] = list }
    }

    /// One write per subscriber of `topic`; the flushes follow at the end of the tick, so frames published in the
    /// same tick share one flush per subscriber.
    func deliver(_ frame: ByteBuffer, topic: String) {
        guard let list = subscribers[topic] else { return }
        let wasIdle = unflushed.isEmpty
        for connection in list where connection.write(frame) { unflushed.append(connection) }
        if wasIdle, !unflushed.isEmpty { loop.execute { self.flushAll() } }
    }

    private func flushAll() {
        for connection in unflushed { connection.flush() }
        unflushed.removeAll(keepingCapacity: true)
    }
}
