import NIOCore
import NIOEmbedded
import NIOPosix
import XCTest

@testable import RallyRedis

/// Parsing and routing, then a real two-node cluster started by the test.
final class RedisClusterTests: XCTestCase {
    /// `CLUSTER SHARDS` of a two-node Redis 7.0.15 cluster.
    static let recordedShards = "*2\r\n*4\r\n$5\r\nslots\r\n*2\r\n:8192\r\n:16383\r\n$5\r\nnodes\r\n*1\r\n*14\r\n"
        + "$2\r\nid\r\n"
        + "$40\r\n457012781059c78553f12ef961998b1569bbaccc\r\n$4\r\nport\r\n:47002\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n"
        + "$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$18\r\nreplication-offset\r\n:0\r\n"
        + "$6\r\nhealth\r\n$6\r\nonline\r\n*4\r\n$5\r\nslots\r\n*2\r\n:0\r\n:8191\r\n$5\r\nnodes\r\n*1\r\n*14\r\n"
        + "$2\r\nid\r\n$40\r\nc29ca76aba69b03050a19841966f0b31076398ed\r\n$4\r\nport\r\n:47001\r\n$2\r\nip\r\n"
        + "$9\r\n127.0.0.1\r\n$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"
        + "$18\r\nreplication-offset\r\n:0\r\n$6\r\nhealth\r\n$6\r\nonline\r\n"

    private func decode(_ wire: String) throws -> RESPValue {
        let channel = EmbeddedChannel(handler: RESPReplyDecoder())
        try channel.writeInbound(ByteBuffer(string: wire))
        return try XCTUnwrap(channel.readInbound(as: RESPValue.self))
    }

    func testTopologyFromClusterShards() throws {
        let topology = try RedisClusterTopology(shards: decode(Self.recordedShards))
        XCTAssertEqual(topology.primaries.map(\.address), ["127.0.0.1:47002", "127.0.0.1:47001"])
        XCTAssertEqual(topology.primary(forSlot: 0)?.port, 47001)
        XCTAssertEqual(topology.primary(forSlot: 8191)?.port, 47001)
        XCTAssertEqual(topology.primary(forSlot: 8192)?.port, 47002)
        XCTAssertEqual(topology.primary(forSlot: 16383)?.id, "457012781059c78553f12ef961998b1569bbaccc")
        XCTAssertNil(topology.primary(forSlot: 16384))
        XCTAssertEqual(topology.primary(forKey: "foo")?.port, 47002)  // slot 12182
    }

    func testJunkTopologyIsRefused() {
        XCTAssertThrowsError(try RedisClusterTopology(shards: .integer(1)))
        let oddFields = RESPValue.array([.array([.bulkString(ByteBuffer(string: "slots"))])])
        XCTAssertThrowsError(try RedisClusterTopology(shards: oddFields))
    }

    func testMovedRedirects() {
        XCTAssertEqual(RedisMovedRedirect(errorMessage: "MOVED 3999 127.0.0.1:6381")?.port, 6381)
        XCTAssertEqual(RedisMovedRedirect(errorMessage: "MOVED 1 [::1]:7000")?.host, "::1")
        XCTAssertEqual(RedisMovedRedirect(errorMessage: "MOVED 1 [::1]:7000")?.address, "[::1]:7000")
        XCTAssertEqual(RedisMovedRedirect(errorMessage: "MOVED 3999 127.0.0.1:6381")?.address, "127.0.0.1:6381")
        XCTAssertNil(RedisMovedRedirect(errorMessage: "ASK 3999 127.0.0.1:6381"))
        XCTAssertNil(RedisMovedRedirect(errorMessage: "ERR wrong"))
    }

    // MARK: - A real cluster

    private var group: MultiThreadedEventLoopGroup!
    private var cluster: TestRedisCluster?

    override func setUp() {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    override func tearDown() {
        cluster?.stop()
        try? group.syncShutdownGracefully()
    }

    /// A key of `slot`'s owner range whose slot has no keys yet (so it can be reassigned).
    private func key(onNode index: Int, of size: Int, _ label: String) -> String {
        let share = RedisKeySlot.count / size
        while true {
            let candidate = "rally:test:\(label):\(UInt32.random(in: 0...UInt32.max))"
            if RedisKeySlot.slot(of: candidate) / share == index { return candidate }
        }
    }

    private func moveSlot(of key: String, to target: Int, from source: Int, in cluster: TestRedisCluster) throws {
        let slot = String(RedisKeySlot.slot(of: key))
        let targetID = try cluster.nodeID(target, group: group)
        for index in [target, source] {
            XCTAssertEqual(try cluster.command(index, ["CLUSTER", "SETSLOT", slot, "NODE", targetID], group: group),
                           .simpleString("OK"))
        }
    }

    func testCommandsGoToTheSlotOwnerAndFollowMoved() throws {
        let cluster = try TestRedisCluster.start(size: 2, group: group)
        self.cluster = cluster
        let client = RedisCluster(configuration: RedisConfiguration(url: cluster.url(1)), eventLoop: group.next())
        defer { try? client.shutdown().wait(timeout: .seconds(5)) }
        let topology = try client.start().wait(timeout: .seconds(10), "cluster start")
        XCTAssertEqual(Set(topology.primaries.map(\.port)), Set(cluster.ports))

        let (first, second) = (key(onNode: 0, of: 2, "a"), key(onNode: 1, of: 2, "b"))
        XCTAssertEqual(try client.send(["SET", first, "1"], key: first).wait(timeout: .seconds(5)),
                       .simpleString("OK"))
        XCTAssertEqual(try client.send(["SET", second, "2"], key: second).wait(timeout: .seconds(5)),
                       .simpleString("OK"))
        XCTAssertEqual(try cluster.command(0, ["GET", first], group: group).string, "1")
        XCTAssertEqual(try cluster.command(1, ["GET", second], group: group).string, "2")

        // The slot of a fresh key moves to node 1; the client's topology is stale and node 0 answers MOVED.
        let moved = key(onNode: 0, of: 2, "moved")
        try moveSlot(of: moved, to: 1, from: 0, in: cluster)
        XCTAssertEqual(try client.send(["SET", moved, "m"], key: moved).wait(timeout: .seconds(10)),
                       .simpleString("OK"))
        XCTAssertEqual(try cluster.command(1, ["GET", moved], group: group).string, "m")
        let refreshed = try XCTUnwrap(client.currentTopology().wait(timeout: .seconds(5)))
        XCTAssertEqual(refreshed.primary(forKey: moved)?.port, cluster.ports[1])
    }

    func testThePeriodicRefreshSeesASlotMove() throws {
        let cluster = try TestRedisCluster.start(size: 2, group: group)
        self.cluster = cluster
        let client = RedisCluster(configuration: RedisConfiguration(url: cluster.url(0)), eventLoop: group.next(),
                                  refreshInterval: .milliseconds(50))
        defer { try? client.shutdown().wait(timeout: .seconds(5)) }
        _ = try client.start().wait(timeout: .seconds(10), "cluster start")
        let moving = key(onNode: 0, of: 2, "periodic")
        try moveSlot(of: moving, to: 1, from: 0, in: cluster)
        try waitUntil("the refreshed topology") {
            try client.currentTopology().wait(timeout: .seconds(5))?.primary(forKey: moving)?.port == cluster.ports[1]
        }
    }

    func testShardedChannelsFollowTheirSlot() throws {
        let cluster = try TestRedisCluster.start(size: 2, group: group)
        self.cluster = cluster
        let client = RedisCluster(configuration: RedisConfiguration(url: cluster.url(0)), eventLoop: group.next())
        defer { try? client.shutdown().wait(timeout: .seconds(5)) }
        _ = try client.start().wait(timeout: .seconds(10), "cluster start")
        let events = Recorder<RedisSubscriberEvent>()
        let subscriber = RedisClusterSubscriber(cluster: client) { events.append($0) }
        defer { try? subscriber.shutdown().wait(timeout: .seconds(5)) }

        let (onFirst, onSecond) = (key(onNode: 0, of: 2, "c"), key(onNode: 1, of: 2, "d"))
        try subscriber.subscribe([onFirst, onSecond]).wait(timeout: .seconds(10), "subscribe")
        XCTAssertEqual(try client.send(["SPUBLISH", onFirst, "1"], key: onFirst).wait(timeout: .seconds(5)),
                       .integer(1))
        XCTAssertEqual(try client.send(["SPUBLISH", onSecond, "2"], key: onSecond).wait(timeout: .seconds(5)),
                       .integer(1))
        try events.wait("both messages") { $0.filter { if case .message = $0 { true } else { false } }.count == 2 }

        // The slot of `onFirst` moves to node 1: node 0 pushes sunsubscribe, the channel is re-homed.
        events.removeAll()
        try moveSlot(of: onFirst, to: 1, from: 0, in: cluster)
        try events.wait("the unsolicited unsubscribe") { $0.contains(.unsolicitedUnsubscribe(channel: onFirst)) }
        try waitUntil("the channel subscribed on node 1") {
            try cluster.command(1, ["PUBSUB", "SHARDNUMSUB", onFirst], group: group).array?.last == .integer(1)
        }
        XCTAssertEqual(try client.send(["SPUBLISH", onFirst, "3"], key: onFirst).wait(timeout: .seconds(10)),
                       .integer(1))
        try events.wait("the message after the move") {
            $0.contains(.message(channel: onFirst, payload: ByteBuffer(string: "3")))
        }
    }

    /// A primary crashes and its replica takes over under another address: `followTopology` moves the channels
    /// there and reports the lost node as resubscribed.
    func testChannelsOfACrashedPrimaryMoveToTheReplicaThatTookOver() throws {
        let cluster = try TestRedisCluster.start(size: 3, replicas: 1, group: group)  // node 3 replicates node 0
        self.cluster = cluster
        let client = RedisCluster(configuration: RedisConfiguration(url: cluster.url(1)), eventLoop: group.next())
        defer { try? client.shutdown().wait(timeout: .seconds(5)) }
        _ = try client.start().wait(timeout: .seconds(10), "cluster start")
        let events = Recorder<RedisSubscriberEvent>()
        let subscriber = RedisClusterSubscriber(cluster: client) { events.append($0) }
        defer { try? subscriber.shutdown().wait(timeout: .seconds(5)) }
        let channel = key(onNode: 0, of: 3, "failover")
        try subscriber.subscribe([channel]).wait(timeout: .seconds(10), "subscribe")
        events.removeAll()

        cluster.kill(0)
        try events.wait("the lost connection") { $0.contains(.connectionLost) }
        try waitUntil("the replica took over and the channel moved to it", timeout: 30) {
            _ = try? subscriber.followTopology().wait(timeout: .seconds(10), "follow the topology")  // fails mid-way
            return events.all.contains(.resubscribed)
        }
        XCTAssertEqual(try client.currentTopology().wait(timeout: .seconds(5))?.primary(forKey: channel)?.port,
                       cluster.ports[3])
        XCTAssertEqual(try client.send(["SPUBLISH", channel, "after"], key: channel).wait(timeout: .seconds(10)),
                       .integer(1))
        try events.wait("the message through the new primary") {
            $0.contains(.message(channel: channel, payload: ByteBuffer(string: "after")))
        }
    }
}
