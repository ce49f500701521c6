import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RallyBus
import XCTest

/// What every broker must do, whatever carries the bytes. `MemoryBrokerContractTests` and
/// `RedisBrokerContractTests` run these same cases.
protocol BrokerFixture: Sendable {
    func makeBroker(on loop: EventLoop) async throws -> any Broker
    /// The broker's connection to the bus breaks (its subscriptions are lost); it must come back by itself or
    /// through `restore`.
    func breakConnection(of broker: any Broker) async throws
    func restore(_ broker: any Broker) async throws
}

/// Runs `body` with a fresh event loop group and shuts the group down afterwards, whether `body` threw or not
/// (asynchronously: a blocking shutdown is not allowed from async code).
func withLoopGroup(threads: Int, _ body: (MultiThreadedEventLoopGroup) async throws -> Void) async throws {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
    do {
        try await body(group)
    } catch {
        try? await group.shutdownGracefully()
        throw error
    }
    try await group.shutdownGracefully()
}

enum BrokerContract {
    static func run(_ fixture: BrokerFixture) async throws {
        try await withLoopGroup(threads: 2) { group in
            try await confirmedSubscriptionGetsEveryMessageOnceInOrder(fixture, group)
            try await unsubscribedChannelGetsNothing(fixture, group)
            try await nodeAndControlChannelsReachTheirNodes(fixture, group)
            try await lostConnectionIsToldAndSubscriptionsComeBack(fixture, group)
        }
    }

    static func confirmedSubscriptionGetsEveryMessageOnceInOrder(_ fixture: BrokerFixture,
                                                                 _ group: EventLoopGroup) async throws {
        let (a, aInbox) = try await started(fixture, group)
        let (b, bInbox) = try await started(fixture, group)
        try await b.subscribe(.topic("realtime:c1")).get()
        for index in 0..<500 { a.publish(ByteBuffer(string: "m\(index)"), to: .topic("realtime:c1")) }
        a.publish(ByteBuffer(bytes: [0, 0xFF, 0x0D, 0x0A]), to: .topic("realtime:c1"))
        try bInbox.wait { $0.count(on: .topic("realtime:c1")) == 501 }
        let texts = bInbox.messages(on: .topic("realtime:c1")).prefix(500).map { String(buffer: $0) }
        XCTAssertEqual(texts, (0..<500).map { "m\($0)" })
        XCTAssertEqual(bInbox.messages(on: .topic("realtime:c1")).last.map { Array($0.readableBytesView) },
                       [0, 0xFF, 0x0D, 0x0A])
        XCTAssertEqual(aInbox.count(on: .topic("realtime:c1")), 0, "not subscribed, so nothing")
        try await shut(a, b)
    }

    static func unsubscribedChannelGetsNothing(_ fixture: BrokerFixture, _ group: EventLoopGroup) async throws {
        let (a, _) = try await started(fixture, group)
        let (b, bInbox) = try await started(fixture, group)
        try await b.subscribe(.topic("realtime:gone")).get()
        b.unsubscribe(.topic("realtime:gone"))
        try await b.subscribe(.topic("realtime:marker")).get()  // after the unsubscribe, in the same order
        a.publish(ByteBuffer(string: "late"), to: .topic("realtime:gone"))
        a.publish(ByteBuffer(string: "marker"), to: .topic("realtime:marker"))
        try bInbox.wait { $0.count(on: .topic("realtime:marker")) == 1 }
        XCTAssertEqual(bInbox.count(on: .topic("realtime:gone")), 0)
        try await shut(a, b)
    }

    static func nodeAndControlChannelsReachTheirNodes(_ fixture: BrokerFixture, _ group: EventLoopGroup) async throws {
        let (a, aInbox) = try await started(fixture, group)
        let (b, bInbox) = try await started(fixture, group)
        let (c, cInbox) = try await started(fixture, group)
        a.publish(ByteBuffer(string: "to b"), to: .node(b.nodeID))
        a.publish(ByteBuffer(string: "all"), to: .control)
        for inbox in [aInbox, bInbox, cInbox] { try inbox.wait { $0.count(on: .control) == 1 } }
        try bInbox.wait { $0.count(on: .node(b.nodeID)) == 1 }
        XCTAssertEqual(cInbox.count(on: .node(b.nodeID)), 0)
        XCTAssertEqual(cInbox.count(on: .node(c.nodeID)), 0)
        try await shut(a, b, c)
    }

    static func lostConnectionIsToldAndSubscriptionsComeBack(_ fixture: BrokerFixture,
                                                             _ group: EventLoopGroup) async throws {
        let (a, _) = try await started(fixture, group)
        let (b, bInbox) = try await started(fixture, group)
        try await b.subscribe(.topic("realtime:kept")).get()
        try await fixture.breakConnection(of: b)
        try bInbox.wait { $0.disconnects == 1 }
        try await fixture.restore(b)
        try bInbox.wait { $0.reconnects == 1 }
        a.publish(ByteBuffer(string: "again"), to: .topic("realtime:kept"))
        try bInbox.wait { $0.count(on: .topic("realtime:kept")) == 1 }
        try await shut(a, b)
    }

    private static func started(_ fixture: BrokerFixture, _ group: EventLoopGroup) async throws
        -> (any Broker, Inbox) {
        let broker = try await fixture.makeBroker(on: group.next())
        let inbox = Inbox()
        try await broker.start(receiver: inbox).get()
        return (broker, inbox)
    }

    private static func shut(_ brokers: any Broker...) async throws {
        for broker in brokers { try await broker.shutdown().get() }
    }
}

/// Records what a broker hands its receiver; tests wait on it with a deadline.
final class Inbox: BusReceiver, @unchecked Sendable {
    struct Seen { var received: [(BusChannel, ByteBuffer)] = []; var disconnects = 0; var reconnects = 0 }
    private let condition = NSCondition()
    private var seen = Seen()

    func bus(received bytes: ByteBuffer, on channel: BusChannel) { update { $0.received.append((channel, bytes)) } }
    func busDisconnected() { update { $0.disconnects += 1 } }
    func busReconnected() { update { $0.reconnects += 1 } }

    private func update(_ change: (inout Seen) -> Void) {
        condition.lock()
        change(&seen)
        condition.broadcast()
        condition.unlock()
    }

    func messages(on channel: BusChannel) -> [ByteBuffer] {
        condition.lock()
        defer { condition.unlock() }
        return seen.received.filter { $0.0 == channel }.map(\.1)
    }

    func count(on channel: BusChannel) -> Int { messages(on: channel).count }
    var disconnects: Int { condition.lock(); defer { condition.unlock() }; return seen.disconnects }
    var reconnects: Int { condition.lock(); defer { condition.unlock() }; return seen.reconnects }

    /// Waits up to `timeout` for `condition` to hold.
    func wait(timeout: TimeInterval = 10, file: StaticString = #filePath, line: UInt = #line,
              _ holds: (Inbox) -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !holds(self) {
            guard Date() < deadline else {
                XCTFail("condition not met within \(timeout)s", file: file, line: line)
                throw CancellationError()
            }
            condition.lock()
            _ = condition.wait(until: min(deadline, Date().addingTimeInterval(0.05)))
            condition.unlock()
        }
    }
}

final class MemoryBrokerContractTests: XCTestCase {
    struct Memory: BrokerFixture {
        let bus = MemoryBus()
        func makeBroker(on loop: EventLoop) async throws -> any Broker { MemoryBroker(bus: bus, eventLoop: loop) }
        func breakConnection(of broker: any Broker) async throws { bus.disconnect(broker.nodeID) }
        func restore(_ broker: any Broker) async throws { bus.reconnect(broker.nodeID) }
    }

    func testMemoryBrokerKeepsTheContract() async throws {
        try await BrokerContract.run(Memory())
    }
}

/// What both shared rate counters must do: totals add up across callers, and a window's keys expire.
enum RateCounterContract {
    static func run(_ first: any SharedRateCounter, _ second: any SharedRateCounter, prefix: String) async throws {
        try await withLoopGroup(threads: 1) { group in
            let loop = group.next()
            let key = "\(prefix):\(UInt64.random(in: 1...UInt64.max))"
            let firstTotals = try await first.add([key: 3, key + "b": 1], window: .seconds(60), on: loop).get()
            XCTAssertEqual(firstTotals, [key: 3, key + "b": 1])
            let secondTotals = try await second.add([key: 2, key + "z": 0], window: .seconds(60), on: loop).get()
            XCTAssertEqual(secondTotals, [key: 5])
            let short = key + "s"
            _ = try await first.add([short: 1], window: .milliseconds(100), on: loop).get()
            let deadline = Date().addingTimeInterval(10)
            while try await second.add([short: 1], window: .milliseconds(100), on: loop).get()[short] != 1 {
                XCTAssertLessThan(Date(), deadline, "the window's key never expired")
                if Date() > deadline { return }
                try await loop.scheduleTask(in: .milliseconds(20)) {}.futureResult.get()
            }
        }
    }
}

final class LocalRateCounterTests: XCTestCase {
    func testLocalCounterKeepsTheContract() async throws {
        let counter = LocalRateCounter()
        try await RateCounterContract.run(counter, counter, prefix: "local")
    }
}
