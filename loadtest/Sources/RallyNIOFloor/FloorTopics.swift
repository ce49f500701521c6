// Who subscribes to what, one table per event loop: a subscriber is filed on its own loop's table, and a publish
// reaches the table of every loop with subscribers of its topic (directly on its own loop, one task for each other),
// so no table is ever shared. Which loops have subscribers of a topic is the one shared fact, behind a lock (read
// once per publish, written once per subscribe and unsubscribe).
import NIOConcurrencyHelpers
import NIOCore

/// The topic tables of every loop. Immutable after start (but for `loopsByTopic`): read from any loop.
final class FloorTopics: Sendable {
    private let tables: [LoopTopics]
    /// Subscribers per loop (by the loop's index in `tables`), for every topic with at least one.
    private let loopsByTopic = NIOLockedValueBox<[String: [Int]]>([:])

    init(loops: [EventLoop]) {
        self.tables = loops.map(LoopTopics.init(loop:))
    }

    func subscribe(_ connection: FloorConnection, topic: String, on loop: EventLoop) {
        let index = tables.firstIndex { $0.loop === loop }!
        tables[index].add(connection, topic: topic)
        loopsByTopic.withLockedValue { $0[topic, default: Array(repeating: 0, count: tables.count)][index] += 1 }
    }

    func unsubscribe(_ connection: FloorConnection, topic: String, on loop: EventLoop) {
        let index = tables.firstIndex { $0.loop === loop }!
        tables[index].remove(connection, topic: topic)
        loopsByTopic.withLockedValue { counts in
            counts[topic]?[index] -= 1
            if counts[topic]?.allSatisfy({ $0 == 0 }) == true { counts[topic] = nil }
        }
    }

    /// Sends `frame` to every subscriber of `topic`, on every loop that has some. Called on `loop`.
    func publish(_ frame: ByteBuffer, topic: String, from loop: EventLoop) {
        guard let counts = loopsByTopic.withLockedValue({ $0[topic] }) else { return }
        for (table, count) in zip(tables, counts) where count > 0 {
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
