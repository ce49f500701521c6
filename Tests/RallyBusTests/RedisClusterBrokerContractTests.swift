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
