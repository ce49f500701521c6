import NIOConcurrencyHelpers
import NIOCore

/// One node's connection to a `MemoryBus`. Its receiver is called on `eventLoop`.
public final class MemoryBroker: Broker {
    public let nodeID: UInt64
    public let eventLoop: EventLoop
    private let bus: MemoryBus

    private struct State {
        var receiver: (any BusReceiver)?
        /// What the node wants to hear: kept while disconnected and subscribed again on reconnect.
        var desired: Set<BusChannel> = []
        var connected = true
        var isShutDown = false
    }

    private let state = NIOLockedValueBox(State())

    public init(bus: MemoryBus, nodeID: UInt64 = .random(in: 1...UInt64.max), eventLoop: EventLoop) {
        self.bus = bus
        self.nodeID = nodeID
        self.eventLoop = eventLoop
        bus.register(self)
    }

    public var isConnected: Bool { state.withLockedValue { $0.connected && !$0.isShutDown } }

    public func start(receiver: any BusReceiver) -> EventLoopFuture<Void> {
        state.withLockedValue { $0.receiver = receiver }
        let own: [BusChannel] = [.control, .node(nodeID), .ingress]
        return EventLoopFuture.andAllSucceed(own.map { subscribe($0) }, on: eventLoop)
    }

    public func publish(_ bytes: ByteBuffer, to channel: BusChannel) {
        guard isConnected else { return }
        bus.route(bytes, to: channel)
    }

    public func subscribe(_ channel: BusChannel) -> EventLoopFuture<Void> {
        let connected = state.withLockedValue { state -> Bool in
            guard !state.isShutDown else { return false }
            state.desired.insert(channel)
            return state.connected
        }
        guard connected else { return eventLoop.makeFailedFuture(BusError.unavailable) }
        bus.add(nodeID, to: channel)
        return eventLoop.makeSucceededVoidFuture()
    }

    public func unsubscribe(_ channel: BusChannel) {
        state.withLockedValue { _ = $0.desired.remove(channel) }
        bus.remove(nodeID, from: channel)
    }

    public func reconnect() {
        bus.disconnect(nodeID)
        bus.reconnect(nodeID)
    }

    public func shutdown() -> EventLoopFuture<Void> {
        state.withLockedValue { $0.isShutDown = true; $0.receiver = nil }
        bus.unregister(nodeID)
        return eventLoop.makeSucceededVoidFuture()
    }

    // MARK: called by MemoryBus

    func deliver(_ bytes: ByteBuffer, on channel: BusChannel) {
        eventLoop.execute { [self] in
            state.withLockedValue { $0.receiver }?.bus(received: bytes, on: channel)
        }
    }

    func lostConnection() {
        let receiver = state.withLockedValue { state -> (any BusReceiver)? in
            state.connected = false
            return state.receiver
        }
        eventLoop.execute { receiver?.busDisconnected() }
    }

    func regainConnection() {
        let (receiver, desired) = state.withLockedValue { state in
            state.connected = true
            return (state.receiver, state.desired)
        }
        for channel in desired { bus.add(nodeID, to: channel) }
        eventLoop.execute { receiver?.busReconnected() }
    }
}
