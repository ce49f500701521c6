import Foundation
import NIOCore
import NIOPosix
import RallyBus
import RallyBusRedis
import RallyRedis
import XCTest

/// The broker and rate counter contracts against the Redis Cluster that `scripts/services.sh` starts
/// (`RALLY_TEST_REDIS_CLUSTER_URL`, any one node of it).
final class RedisClusterBrokerContractTests: XCTestCase {
    struct RealCluster: BrokerFixture {
        let configuration: RedisConfiguration
        let admin: RedisCluster

        func makeBroker(on loop: EventLoop) async throws -> any Broker {
            try RedisClusterBroker(configuration: configuration, nodeID: .random(in: 1...UInt64.max),
                                   eventLoop: loop, partitions: 16, pingInterval: .seconds(1))
        }

        /// `CLIENT KILL` of the broker's sharded subscriber connection on the primary that holds the contract's topic
        /// (one connection, so exactly one loss and one recovery); it reconnects by itself.
        func breakConnection(of broker: any Broker) async throws {
            let cluster = try XCTUnwrap(broker as? RedisClusterBroker)
            let channel = cluster.names.name(of: .topic("realtime:kept"))
            let topology = try await admin.refreshTopology().get()
            let node = try XCTUnwrap(topology.primary(forKey: channel))
            var nodeConfiguration = configuration
            nodeConfiguration.url = try RedisURL("redis://\(node.host):\(node.port)")
            let connection = try await RedisConnection.connect(configuration: nodeConfiguration,
                                                               eventLoop: admin.eventLoop).get()
            let name = "rally:\(String(broker.nodeID, radix: 16)):sub"
            let list = try await connection.send(["CLIENT", "LIST"]).get().string ?? ""
            let line = try XCTUnwrap(list.split(separator: "\n").first {  // not the topology connection
                $0.contains(" name=\(name) ") && !$0.contains(" ssub=0 ")
            })
            let id = try XCTUnwrap(line.split(separator: " ").first { $0.hasPrefix("id=") }?.dropFirst(3))
            _ = try await connection.send(["CLIENT", "KILL", "ID", String(id)]).get()
            try await connection.shutdown().get()
        }

        func restore(_ broker: any Broker) async throws {}
    }

    func testRedisClusterBrokerKeepsTheContract() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let configuration = try RedisConfiguration(url: try TestRedisCluster.url())
        let admin = RedisCluster(configuration: configuration, eventLoop: group.next(), refreshInterval: nil)
        _ = try await admin.start().get()
        try await BrokerContract.run(RealCluster(configuration: configuration, admin: admin))
        try await admin.shutdown().get()
        try await group.shutdownGracefully()
    }

    /// A topic's slot moves to another primary: the old owner drops the subscription, the hub is told of the gap,
    /// and the subscription follows (a publisher with the old topology follows MOVED). The slot moves back after.
    func testASlotMoveIsAGapAndTheSubscriptionFollows() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let configuration = try RedisConfiguration(url: try TestRedisCluster.url())
        let admin = RedisCluster(configuration: configuration, eventLoop: group.next(), refreshInterval: nil)
        let topology = try await admin.start().get()
        let fixture = RealCluster(configuration: configuration, admin: admin)
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
        try await assign(slot, to: target, on: [target, source], configuration)
        try inbox.wait { $0.disconnects == 1 }
        try inbox.wait { $0.reconnects == 1 }
        a.publish(ByteBuffer(string: "after the move"), to: topic)
        try inbox.wait { $0.count(on: topic) == 1 }
        try await a.shutdown().get()
        try await b.shutdown().get()
        try await assign(slot, to: source, on: [source, target], configuration)
        try await waitUntilEveryNode(of: topology, agrees: slot, isOn: source, configuration)
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

    /// Leaves the shared cluster as it was: every primary routes `slot` to `owner` (gossip reaches the others).
    private func waitUntilEveryNode(of topology: RedisClusterTopology, agrees slot: Int, isOn owner: RedisClusterNode,
                                    _ configuration: RedisConfiguration) async throws {
        let deadline = Date().addingTimeInterval(10)
        for node in topology.primaries {
            while true {
                let reply = try await command(["CLUSTER", "NODES"], on: node, configuration)
                if Self.owner(of: slot, in: reply.string ?? "") == owner.id { break }
                guard Date() < deadline else { return XCTFail("\(node) does not route slot \(slot) back yet") }
                try await Task.sleep(nanoseconds: 20_000_000)
            }
        }
    }

    /// The id of the node that `CLUSTER NODES` output says serves `slot`.
    static func owner(of slot: Int, in nodes: String) -> String? {
        for line in nodes.split(separator: "\n") {
            let fields = line.split(separator: " ")
            for range in fields.dropFirst(8) where !range.hasPrefix("[") {
                let bounds = range.split(separator: "-").compactMap { Int($0) }
                if let low = bounds.first, (low...(bounds.last ?? low)).contains(slot) { return String(fields[0]) }
            }
        }
        return nil
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

    /// The keys of one call land on different shards (one script over all would be CROSSSLOT).
    func testClusterRateCounterKeepsTheContractAcrossTwoClients() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let configuration = try RedisConfiguration(url: try TestRedisCluster.url())
        let one = RedisCluster(configuration: configuration, eventLoop: group.next())
        let two = RedisCluster(configuration: configuration, eventLoop: group.next())
        _ = try await one.start().get()
        _ = try await two.start().get()
        try await RateCounterContract.run(RedisClusterRateCounter(cluster: one), RedisClusterRateCounter(cluster: two),
                                          prefix: "rally:test:rl")
        try await one.shutdown().get()
        try await two.shutdown().get()
        try await group.shutdownGracefully()
    }
}

/// Where the tests' Redis Cluster is: `RALLY_TEST_REDIS_CLUSTER_URL` (set by `scripts/services.sh start`).
enum TestRedisCluster {
    static func url() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let url = environment["RALLY_TEST_REDIS_CLUSTER_URL"], !url.isEmpty { return url }
        if environment["RALLY_TEST_NO_SERVICES"] == "1" { throw XCTSkip("RALLY_TEST_NO_SERVICES=1: no Redis Cluster") }
        XCTFail("RALLY_TEST_REDIS_CLUSTER_URL is not set: run `eval \"$(scripts/services.sh start)\"` first")
        throw CancellationError()
    }
}
