import Foundation
import NIOConcurrencyHelpers
import NIOCore
import RallyAuth
import RallyHubTestSupport
import RallyProtocol
import XCTest
@testable import RallyHub

/// A channel whose broadcasts the feeds call ordinary at join (`TopicFeeds.broadcastsAreOrdinary`) publishes them
/// without asking the feeds per message; any other channel asks them for every broadcast, as before.
final class OrdinaryBroadcastTests: XCTestCase {
    /// Feeds that call the subtopics in `ordinary` ordinary and count what they are asked.
    private final class CountingFeeds: TopicFeeds {
        let ordinary: Set<String>
        let counts = NIOLockedValueBox<(asked: Int, writes: Int, audiences: Int)>((0, 0, 0))

        init(ordinary: Set<String>) { self.ordinary = ordinary }

        func join(_ join: FeedJoin, on loop: EventLoop) -> EventLoopFuture<FeedJoinOutcome> {
            loop.makeSucceededFuture(.ready(.empty))
        }
        func leave(_ join: FeedJoin) {}
        func write(_ write: FeedWrite) -> WriteDisposition {
            counts.withLockedValue { $0.writes += 1 }
            return .publish
        }
        func audience(of join: FeedJoin, live: Bool) -> Audience? {
            if !live { counts.withLockedValue { $0.audiences += 1 } }
            return nil
        }
        func broadcastsAreOrdinary(_ join: FeedJoin) -> Bool {
            counts.withLockedValue { $0.asked += 1 }
            return ordinary.contains(join.subtopic)
        }
    }

    private static let selfAndAck: JSON = .object(["broadcast": .object(["self": .bool(true), "ack": .bool(true)])])

    /// Sends three broadcasts on `topic` and waits for each echo and ack.
    private func roundTrips(_ client: TestClient, topic: String, joinRef: String) {
        for index in 0..<3 {
            let ref = "\(topic)-\(index)"
            client.broadcast(topic, event: "e\(index)", payload: .object(["n": .int(index)]), ref: ref,
                             joinRef: joinRef)
            XCTAssertEqual(client.waitForReply(ref: ref)?["status"], .string("ok"), ref)
            let echo = client.transport.waitForFrame { frame in
                frame.json?.eventName == "broadcast" && frame.json?.topicName == topic
                    && frame.json?["payload"]?["event"] == .string("e\(index)")
            }
            XCTAssertEqual(echo?.json?["payload"]?["payload"], .object(["n": .int(index)]), ref)
        }
    }

    func testOrdinaryChannelsPublishWithoutAskingTheFeedsPerMessage() async throws {
        let feeds = CountingFeeds(ordinary: ["lobby"])
        let harness = try await HubHarness(feeds: feeds)
        let client = try await harness.connect()
        XCTAssertEqual(client.join("realtime:lobby", config: Self.selfAndAck, ref: "1")?["status"], .string("ok"))
        roundTrips(client, topic: "realtime:lobby", joinRef: "1")
        var counts = feeds.counts.withLockedValue { $0 }
        XCTAssertEqual(counts.asked, 1, "asked once, at join")
        XCTAssertEqual(counts.writes, 0)
        XCTAssertEqual(counts.audiences, 0)

        XCTAssertEqual(client.join("realtime:room", config: Self.selfAndAck, ref: "2")?["status"], .string("ok"))
        roundTrips(client, topic: "realtime:room", joinRef: "2")
        counts = feeds.counts.withLockedValue { $0 }
        XCTAssertEqual(counts.asked, 2)
        XCTAssertEqual(counts.writes, 3, "not ordinary: the feeds decide every broadcast")
        XCTAssertEqual(counts.audiences, 3)
        try await harness.shutdown()
    }

    func testNoFeedsCallEveryChannelOrdinary() {
        let identity = Identity(role: .authenticated, rawRole: "authenticated", subject: "u", expiresAt: .distantFuture)
        let join = FeedJoin(topic: "realtime:event:x", subtopic: "event:x", identity: identity, config: JoinConfig(),
                            subscriptionID: 1)
        XCTAssertTrue(NoFeeds().broadcastsAreOrdinary(join))
    }

    func testAChannelWithoutWriteAccessPublishesNothingEvenWhenOrdinary() async throws {
        let feeds = CountingFeeds(ordinary: ["lobby"])
        let harness = try await HubHarness(authorizer: ReadOnlyAuthorizer(), feeds: feeds)
        let client = try await harness.connect()
        XCTAssertEqual(client.join("realtime:lobby", config: Self.selfAndAck, ref: "1")?["status"], .string("ok"))
        client.broadcast("realtime:lobby", event: "e", payload: .emptyObject, ref: "b", joinRef: "1")
        client.send(topic: "phoenix", event: "heartbeat", payload: .emptyObject, ref: "h")
        XCTAssertNotNil(client.waitForReply(ref: "h"))
        XCTAssertEqual(client.transport.count(of: "broadcast"), 0, "dropped silently, as before")
        XCTAssertEqual(client.transport.count(of: "phx_reply"), 2, "the join's and the heartbeat's only")
        try await harness.shutdown()
    }

    /// Lets every join read, and write nothing.
    private struct ReadOnlyAuthorizer: TopicAuthorizer {
        func authorize(subtopic: String, identity: Identity, isPrivate: Bool, on loop: EventLoop)
            -> EventLoopFuture<AuthorizationDecision> {
            loop.makeSucceededFuture(.allow(TopicAccess(canWrite: false)))
        }
    }
}
