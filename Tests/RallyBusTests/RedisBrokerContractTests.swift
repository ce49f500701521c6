import Foundation
import NIOCore
import NIOPosix
import RallyBus
import RallyBusRedis
import RallyRedis
import RallyTestSupport
import XCTest

/// The broker contract against the real Redis that `scripts/services.sh` starts (`RALLY_TEST_REDIS_URL`).
final class RedisBrokerContractTests: XCTestCase {
    struct RealRedis: BrokerFixture {
        let configuration: RedisConfiguration
        let admin: RedisConnection

        func makeBroker(on loop: EventLoop) async throws -> any Broker {
            try RedisBroker(configuration: configuration, nodeID: .random(in: 1...UInt64.max), eventLoop: loop,
                            pingInterval: .seconds(1))
        }

        /// `CLIENT KILL` of the broker's subscriber connection, found by its name; it reconnects by itself.
        func breakConnection(of broker: any Broker) async throws {
            let name = "rally:\(String(broker.nodeID, radix: 16)):sub"
            let list = try await admin.send(["CLIENT", "LIST"]).get().string ?? ""
            let line = try XCTUnwrap(list.split(separator: "\n").first { $0.contains(" name=\(name) ") })
            let id = try XCTUnwrap(line.split(separator: " ").first { $0.hasPrefix("id=") }?.dropFirst(3))
            _ = try await admin.send(["CLIENT", "KILL", "ID", String(id)]).get()
        }

        func restore(_ broker: any Broker) async throws {}
    }

    func testRedisBrokerKeepsTheContract() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let configuration = try TestRedis.configuration()
        let admin = try await RedisConnection.connect(configuration: configuration, eventLoop: group.next()).get()
        try await BrokerContract.run(RealRedis(configuration: configuration, admin: admin))
        try await admin.shutdown().get()
        try await group.shutdownGracefully()
    }
}

final class RedisRateCounterTests: XCTestCase {
    func testRedisCounterKeepsTheContractAcrossTwoConnections() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let configuration = try TestRedis.configuration()
        let one = try await RedisConnection.connect(configuration: configuration, eventLoop: group.next()).get()
        let two = try await RedisConnection.connect(configuration: configuration, eventLoop: group.next()).get()
        try await RateCounterContract.run(RedisRateCounter(connection: one), RedisRateCounter(connection: two),
                                          prefix: "rally:test:rl")
        try await one.shutdown().get()
        try await two.shutdown().get()
        try await group.shutdownGracefully()
    }
}
