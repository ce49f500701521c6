import NIOConcurrencyHelpers
import NIOCore

/// An in-process bus: several hubs in one process on one `MemoryBus` behave as several nodes. Tests can make it
/// drop or duplicate messages, disconnect a node (its subscriptions are lost until `reconnect`) and restart
/// (every node disconnected, then reconnected).
public final class MemoryBus: Sendable {
    private struct State {
        var brokers: [UInt64: MemoryBroker] = [:]
        var subscribers: [BusChannel: Set<UInt64>] = [:]
        /// Faults armed per channel: how many of the next publishes to drop or to deliver twice.
        var dropNext: [BusChannel: Int] = [:]
        var duplicateNext: [BusChannel: Int] = [:]
    }

    private let state = NIOLockedValueBox(State())

    public init() {}

    /// The next `count` publishes to `channel` reach nobody.
    public func dropNext(_ count: Int, on channel: BusChannel) {
        state.withLockedValue { $0.dropNext[channel, default: 0] += count }
    }

    /// The next `count` publishes to `channel` reach every subscriber twice.
    public func duplicateNext(_ count: Int, on channel: BusChannel) {
        state.withLockedValue { $0.duplicateNext[channel, default: 0] += count }
    }

    /// `node` loses its subscriptions (as when its Redis connection breaks) until `reconnect(node)`.
    public func disconnect(_ node: UInt64) {
        let broker = state.withLockedValue { state -> MemoryBroker? in
            for channel in state.subscribers.keys { state.subscribers[channel]?.remove(node) }
            return state.brokers[node]
        }
        broker?.lostConnection()
    }

    /// `node` silently stops receiving (a connection that looks open but delivers nothing) until it reconnects.
    public func mute(_ node: UInt64) {
        state.withLockedValue { state in
            for channel in state.subscribers.keys { state.subscribers[channel]?.remove(node) }
        }
    }

    /// `node` subscribes its channels again.
    public func reconnect(_ node: UInt64) {
        state.withLockedValue { $0.brokers[node] }?.regainConnection()
    }

    /// Every node disconnected, then reconnected (a bus restart: what was published meanwhile is gone).
    public func restart() {
        let nodes = state.withLockedValue { Array($0.brokers.keys) }
        for node in nodes { disconnect(node) }
        for node in nodes { reconnect(node) }
    }

    // MARK: used by MemoryBroker

    func register(_ broker: MemoryBroker) { state.withLockedValue { $0.brokers[broker.nodeID] = broker } }

    func unregister(_ node: UInt64) {
        state.withLockedValue { state in
            state.brokers[node] = nil
            for channel in state.subscribers.keys { state.subscribers[channel]?.remove(node) }
        }
    }

    func add(_ node: UInt64, to channel: BusChannel) {
        state.withLockedValue { _ = $0.subscribers[channel, default: []].insert(node) }
    }

    func remove(_ node: UInt64, from channel: BusChannel) {
        state.withLockedValue { _ = $0.subscribers[channel]?.remove(node) }
    }

    /// Hands `bytes` to every subscriber of `channel`, in one global order (the lock), each on its broker's loop.
    func route(_ bytes: ByteBuffer, to channel: BusChannel) {
        state.withLockedValue { state in
            if let drops = state.dropNext[channel], drops > 0 {
                state.dropNext[channel] = drops - 1
                return
            }
            var copies = 1
            if let duplicates = state.duplicateNext[channel], duplicates > 0 {
                state.duplicateNext[channel] = duplicates - 1
                copies = 2
            }
            for node in state.subscribers[channel] ?? [] {
                guard let broker = state.brokers[node] else { continue }
                for _ in 0..<copies { broker.deliver(bytes, on: channel) }
            }
        }
    }
}
