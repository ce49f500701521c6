import NIOCore
import NIOEmbedded
import RallyAuth
import RallyProtocol
import XCTest
@testable import RallyHub

/// The hub's pure parts, without I/O: presence table, channel routing, rate limiters.
final class PresenceTableTests: XCTestCase {
    func testTrackSameMetaTwiceIsANoOp() {
        var table = PresenceTable()
        XCTAssertNotNil(table.track(owner: 1, key: "k", meta: ["a": .int(1)], ref: "r1"))
        XCTAssertNil(table.track(owner: 1, key: "k", meta: ["a": .int(1)], ref: "r2"))
    }

    func testUpdateCarriesPreviousRefAndLeavesTheOldMeta() {
        var table = PresenceTable()
        _ = table.track(owner: 1, key: "k", meta: ["a": .int(1)], ref: "r1")
        let diff = table.track(owner: 1, key: "k", meta: ["a": .int(2)], ref: "r2")
        XCTAssertEqual(diff?.joins["k"]?.first?["phx_ref_prev"], .string("r1"))
        XCTAssertEqual(diff?.leaves["k"]?.first?["phx_ref"], .string("r1"))
    }

    func testTwoOwnersShareAKeyAndLeaveIndependently() {
        var table = PresenceTable()
        _ = table.track(owner: 1, key: "k", meta: [:], ref: "r1")
        _ = table.track(owner: 2, key: "k", meta: [:], ref: "r2")
        XCTAssertEqual(table.stateJSON()["k"]?["metas"]?.arrayValue?.count, 2)
        XCTAssertEqual(table.untrack(owner: 1)?.leaves["k"]?.count, 1)
        XCTAssertEqual(table.stateJSON()["k"]?["metas"]?.arrayValue?.count, 1)
        _ = table.untrack(owner: 2)
        XCTAssertTrue(table.isEmpty)
        XCTAssertNil(table.untrack(owner: 2))
    }
}

final class ChannelRegistryTests: XCTestCase {
    private let identity = Identity(role: .authenticated, rawRole: "authenticated", subject: "u",
                                    expiresAt: Date(timeIntervalSince1970: 1000))

    func testRoutingByJoinRef() {
        var registry = ChannelRegistry()
        let generation = registry.beginJoin(topic: "realtime:a", joinRef: .string("1"),
                                            config: SharedJoinConfig(JoinConfig()))
        if case .notJoined = registry.route(topic: "realtime:a", joinRef: nil) {} else {
            XCTFail("a join still being authorized takes no messages")
        }
        XCTAssertTrue(registry.completeJoin(topic: "realtime:a", generation: generation, identity: identity,
                                            access: .full, subscription: subscription()))
        guard case .channel = registry.route(topic: "realtime:a", joinRef: nil) else { return XCTFail("no join_ref") }
        guard case .channel = registry.route(topic: "realtime:a", joinRef: .string("1")) else { return XCTFail() }
        guard case .staleJoinRef = registry.route(topic: "realtime:a", joinRef: .string("0")) else { return XCTFail() }
    }

    func testReplacedJoinCannotComplete() {
        var registry = ChannelRegistry()
        let first = registry.beginJoin(topic: "realtime:a", joinRef: .string("1"),
                                       config: SharedJoinConfig(JoinConfig()))
        _ = registry.beginJoin(topic: "realtime:a", joinRef: .string("2"), config: SharedJoinConfig(JoinConfig()))
        XCTAssertFalse(registry.isCurrent(topic: "realtime:a", generation: first))
        XCTAssertFalse(registry.completeJoin(topic: "realtime:a", generation: first, identity: identity,
                                             access: .full, subscription: subscription()))
    }

    func testExpiredChannels() {
        var registry = ChannelRegistry()
        let generation = registry.beginJoin(topic: "realtime:a", joinRef: nil, config: SharedJoinConfig(JoinConfig()))
        _ = registry.completeJoin(topic: "realtime:a", generation: generation, identity: identity, access: .full,
                                  subscription: subscription())
        XCTAssertEqual(registry.nextExpiry, 1000)
        XCTAssertTrue(registry.expired(at: 999).isEmpty)
        XCTAssertEqual(registry.expired(at: 1000).count, 1)
    }

    private func subscription() -> ChannelSubscription {
        let loop = EmbeddedEventLoop()
        return ChannelSubscription(id: 1, topic: "realtime:a", joinRef: nil, version: .v1, eventLoop: loop,
                                   loopIndex: 0, broadcastSelf: false, presenceEnabled: false, userID: nil)
    }
}

final class RateLimiterTests: XCTestCase {
    func testTokenBucketRefillsAtItsRate() {
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        var bucket = TokenBucket(burst: 2, ratePerSecond: 1, now: start)
        XCTAssertTrue(bucket.tryTake(now: start))
        XCTAssertTrue(bucket.tryTake(now: start))
        XCTAssertFalse(bucket.tryTake(now: start))
        XCTAssertFalse(bucket.tryTake(now: start + .milliseconds(500)))
        XCTAssertTrue(bucket.tryTake(now: start + .milliseconds(1000)))
    }

    func testSlidingWindow() {
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        var window = SlidingWindowCounter(limit: 2, window: .seconds(10))
        XCTAssertTrue(window.tryRecord(now: start))
        XCTAssertTrue(window.tryRecord(now: start + .seconds(1)))
        XCTAssertFalse(window.tryRecord(now: start + .seconds(9)))
        XCTAssertTrue(window.tryRecord(now: start + .seconds(10)))
    }
}
