import Foundation
import NIOCore
import NIOPosix
import RallyBus
import RallyBusRedis
import RallyRedis
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
        let url = try TestRedis.url()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let configuration = try RedisConfiguration(url: url)
        let admin = try await RedisConnection.connect(configuration: configuration, eventLoop: group.next()).get()
        try await BrokerContract.run(RealRedis(configuration: configuration, admin: admin))
        try await admin.shutdown().get()
        try await group.shutdownGracefully()
    }
}

/// Where the tests' Redis is: `RALLY_TEST_REDIS_URL` (set by `scripts/services.sh start`). Unset, a test that
/// needs it fails with how to start it, unless `RALLY_TEST_NO_SERVICES=1` asks to skip such tests.
enum TestRedis {
    static func url() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let url = environment["RALLY_TEST_REDIS_URL"], !url.isEmpty { return url }
        if environment["RALLY_TEST_NO_SERVICES"] == "1" { throw XCTSkip("RALLY_TEST_NO_SERVICES=1: no Redis") }
        XCTFail("RALLY_TEST_REDIS_URL is not set: run `eval \"$(scripts/services.sh start)\"` first")
        throw CancellationError()
    }
}

final class RedisRateCounterTests: XCTestCase {
    func testRedisCounterKeepsTheContractAcrossTwoConnections() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let configuration = try RedisConfiguration(url: try TestRedis.url())
        let one = try await RedisConnection.connect(configuration: configuration, eventLoop: group.next()).get()
        let two = try await RedisConnection.connect(configuration: configuration, eventLoop: group.next()).get()
        try await RateCounterContract.run(RedisRateCounter(connection: one), RedisRateCounter(connection: two),
                                          prefix: "rally:test:rl")
        try await one.shutdown().get()
        try await two.shutdown().get()
        try await group.shutdownGracefully()
    }
}
