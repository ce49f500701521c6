import Logging
import NIOPosix
import RallyBusRedis
import XCTest

@testable import RallyServer

/// RALLY_REDIS_CLUSTER and RALLY_REDIS_PARTITIONS choose the broker and its partitions.
final class BusSettingsTests: XCTestCase {
    func testClusterSettingsChooseTheClusterBroker() throws {
        var configuration = RallyConfiguration()
        try configuration.apply(environment: ["RALLY_REDIS_URL": "redis://127.0.0.1:7000",
                                              "RALLY_REDIS_CLUSTER": "true", "RALLY_REDIS_PARTITIONS": "64"])
        XCTAssertTrue(configuration.bus.redisCluster)
        XCTAssertEqual(configuration.bus.redisPartitions, 64)
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let broker = try configuration.bus.makeBroker(on: loop, logger: Logger(label: "test"))
        XCTAssertEqual((broker as? RedisClusterBroker)?.names.tags.count, 64)
        XCTAssertTrue(BusConfiguration.rateCounter(of: broker) is RedisClusterRateCounter)

        var standalone = RallyConfiguration()
        try standalone.apply(environment: ["RALLY_REDIS_URL": "redis://127.0.0.1:6379"])
        XCTAssertFalse(standalone.bus.redisCluster)
        XCTAssertEqual(standalone.bus.redisPartitions, 128)
        let classic = try standalone.bus.makeBroker(on: loop, logger: Logger(label: "test"))
        XCTAssertTrue(classic is RedisBroker)
        XCTAssertTrue(BusConfiguration.rateCounter(of: classic) is RedisRateCounter)

        for bad in ["0", "16385", "x"] {
            var rejected = RallyConfiguration()
            XCTAssertThrowsError(try rejected.apply(environment: ["RALLY_REDIS_PARTITIONS": bad]), bad)
        }
    }
}
