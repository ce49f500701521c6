import NIOCore

/// The node-to-node bus: publish bytes to a channel, subscribe to channels, get what others published. `MemoryBus`
/// (one process, tests, the embedded default), `RedisBroker` and `RedisClusterBroker` implement it; one contract
/// suite runs against all three. A broker moves bytes only: encoding, origin filtering, duplicate and gap
/// detection are the hub's, the same whatever the broker.
public protocol Broker: AnyObject, Sendable {
    /// This node's id on the bus (random per start unless configured).
    var nodeID: UInt64 { get }
    /// Whether the broker's subscriptions are live now.
    var isConnected: Bool { get }
    /// Subscribes the node's own channels (control, its node channel, the service ingress) and starts handing
    /// what arrives to `receiver`. Succeeds once they are confirmed.
    func start(receiver: any BusReceiver) -> EventLoopFuture<Void>
    /// Fire and forget; never retried (an unknown outcome must not become a duplicate).
    func publish(_ bytes: ByteBuffer, to channel: BusChannel)
    /// Succeeds once the bus confirmed the subscription: everything published to `channel` afterwards arrives.
    func subscribe(_ channel: BusChannel) -> EventLoopFuture<Void>
    func unsubscribe(_ channel: BusChannel)
    /// Drops the subscriptions' connection and makes it anew (the hub asks when its own heartbeats stop coming
    /// back: a connection that looks open but delivers nothing).
    func reconnect()
    func shutdown() -> EventLoopFuture<Void>
}

/// Gets what the broker received. Called on the broker's event loop, in the order the bus delivered.
public protocol BusReceiver: AnyObject, Sendable {
    func bus(received bytes: ByteBuffer, on channel: BusChannel)
    /// The subscriptions are gone (connection lost): what is published meanwhile is missed.
    func busDisconnected()
    /// Every subscription is live again after a loss; messages published in between may be missing.
    func busReconnected()
}

public enum BusError: Error, Equatable, Sendable {
    /// The bus is unreachable: a join that needs it is refused with a retryable error.
    case unavailable
    case shutDown
}

extension BusChannel {
    /// The channel a Redis channel name stands for; nil for a name Rally does not use.
    public init?(name: String) {
        if name == BusChannel.control.name { self = .control; return }
        if name == BusChannel.ingress.name { self = .ingress; return }
        if name.hasPrefix("rally:t:") { self = .topic(String(name.dropFirst("rally:t:".count))); return }
        if name.hasPrefix("rally:n:"), let node = UInt64(name.dropFirst("rally:n:".count), radix: 16) {
            self = .node(node)
            return
        }
        return nil
    }
}
