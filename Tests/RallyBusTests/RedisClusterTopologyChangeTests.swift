import Foundation
import NIOCore
import NIOPosix
import RallyBus
import RallyBusRedis
import RallyRedis
import XCTest

/// The cluster broker while the cluster changes: a slot moves, a primary crashes and its replica takes over. The
/// broker tells the gap, its subscriptions and its publishes follow. On clusters of their own (`OwnRedisCluster`),
/// not the shared one.
final class RedisClusterTopologyChangeTests: XCTestCase {
    func testTheBusFollowsTheReplicaThatTakesOverACrashedPrimary() async throws {
        _ = try TestRedisCluster.url()  // the same opt-out as the other Redis tests
        let cluster = try OwnRedisCluster.launch(replica: true)
        defer { cluster.stop() }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let configuration = try RedisConfiguration(url: "redis://127.0.0.1:\(cluster.ports[1])")
        let admin = RedisCluster(configuration: configuration, eventLoop: group.next(), refreshInterval: nil)
        let topology = try await admin.start().get()
        try await admin.shutdown().get()

        let make = { try RedisClusterBroker(configuration: configuration, nodeID: .random(in: 1...UInt64.max),
                                            eventLoop: group.next(), partitions: 16, pingInterval: .seconds(1)) }
        let (a, b, inbox) = (try make(), try make(), Inbox())
        try await a.start(receiver: Inbox()).get()
        try await b.start(receiver: inbox).get()
        let topic = try XCTUnwrap((0..<1000).map { BusChannel.topic("realtime:f\($0)") }.first {
            topology.primary(forKey: b.names.name(of: $0))?.port == cluster.ports[0]
        })
        try await b.subscribe(topic).get()
        a.publish(ByteBuffer(string: "before"), to: topic)
        try inbox.wait { $0.count(on: topic) == 1 }

        cluster.crash(0)
        try inbox.wait { $0.disconnects == 1 }
        try inbox.wait(timeout: 30) { $0.reconnects == 1 }
        // Publishes fail until the publisher has read the new topology (a failure makes it re-read it).
        let deadline = Date().addingTimeInterval(20)
        while inbox.count(on: topic) < 2 {
            guard Date() < deadline else { return XCTFail("no publish reached the new primary") }
            a.publish(ByteBuffer(string: "after"), to: topic)
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        try await a.shutdown().get()
        try await b.shutdown().get()
        try await group.shutdownGracefully()
    }

    /// A topic's slot moves to another primary: the old owner drops the subscription, the hub is told of the gap,
    /// and the subscription follows (a publisher with the old topology follows MOVED).
    func testASlotMoveIsAGapAndTheSubscriptionFollows() async throws {
        _ = try TestRedisCluster.url()  // the same opt-out as the other Redis tests
        let cluster = try OwnRedisCluster.launch(replica: false)
        defer { cluster.stop() }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let configuration = try RedisConfiguration(url: "redis://127.0.0.1:\(cluster.ports[0])")
        let admin = RedisCluster(configuration: configuration, eventLoop: group.next(), refreshInterval: nil)
        let topology = try await admin.start().get()
        let fixture = RedisClusterBrokerContractTests.RealCluster(configuration: configuration, admin: admin)
        let a = try await fixture.makeBroker(on: group.next())
        let made = try await fixture.makeBroker(on: group.next())
        let b = try XCTUnwrap(made as? RedisClusterBroker)
        let inbox = Inbox()
        try await a.start(receiver: Inbox()).get()
        try await b.start(receiver: inbox).get()
        let topic = BusChannel.topic("realtime:moving")
        try await b.subscribe(topic).get()
        let slot = RedisKeySlot.slot(of: b.names.name(of: topic))
        let source = try XCTUnwrap(topology.primary(forSlot: slot))
        let target = try XCTUnwrap(topology.primaries.first { $0 != source })
        try await assign(slot, to: target, on: topology.primaries, configuration)
        try inbox.wait { $0.disconnects == 1 }
        try inbox.wait { $0.reconnects == 1 }
        a.publish(ByteBuffer(string: "after the move"), to: topic)
        try inbox.wait { $0.count(on: topic) == 1 }
        try await a.shutdown().get()
        try await b.shutdown().get()
        try await admin.shutdown().get()
        try await group.shutdownGracefully()
    }

    /// `CLUSTER SETSLOT <slot> NODE <owner>` on each of `nodes` (an empty slot moves at once).
    private func assign(_ slot: Int, to owner: RedisClusterNode, on nodes: [RedisClusterNode],
                        _ configuration: RedisConfiguration) async throws {
        for node in nodes {
            let setSlot = ["CLUSTER", "SETSLOT", String(slot), "NODE", owner.id]
            let reply = try await command(setSlot, on: node, configuration)
            XCTAssertNil(reply.errorMessage)
        }
    }

    private func command(_ arguments: [String], on node: RedisClusterNode,
                         _ configuration: RedisConfiguration) async throws -> RESPValue {
        var nodeConfiguration = configuration
        nodeConfiguration.url = try RedisURL("redis://\(node.host):\(node.port)")
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let connection = try await RedisConnection.connect(configuration: nodeConfiguration, eventLoop: loop).get()
        let reply = try await connection.send(arguments).get()
        try await connection.shutdown().get()
        return reply
    }
}
