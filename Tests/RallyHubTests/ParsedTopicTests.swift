import Foundation
import NIOConcurrencyHelpers
import NIOCore
import RallyHubTestSupport
import RallyPrivacy
import RallyProtocol
import XCTest
@testable import RallyHub

/// The subtopic is parsed once, at join: the feeds get the parsed value with every join, write and leave, and a
/// subscriber's user id is decoded to a UUID once.
final class ParsedTopicTests: XCTestCase {
    /// Feeds that keep what the hub handed them.
    private final class RecordingFeeds: TopicFeeds {
        let seen = NIOLockedValueBox<[String: [Topic?]]>([:])

        private func note(_ kind: String, _ join: FeedJoin) {
            seen.withLockedValue { $0[kind, default: []].append(join.parsedTopic) }
        }

        func join(_ join: FeedJoin, on loop: EventLoop) -> EventLoopFuture<FeedJoinOutcome> {
            note("join", join)
            return loop.makeSucceededFuture(.ready(.empty))
        }

        func leave(_ join: FeedJoin) { note("leave", join) }

        func write(_ write: FeedWrite) -> WriteDisposition {
            note("write", write.join)
            return .publish
        }
    }

    func testFeedsGetTheTopicParsedAtJoinWithEveryJoinWriteAndLeave() async throws {
        let feeds = RecordingFeeds()
        let harness = try await HubHarness(feeds: feeds)
        let event = UUID()
        let user = UUID()
        let client = try await harness.connect(subject: user.uuidString.lowercased())
        let topics = ["realtime:event:\(event.uuidString.lowercased())", "realtime:lobby", "realtime:event:NOT-A-UUID"]
        for (index, topic) in topics.enumerated() {
            XCTAssertEqual(client.join(topic, ref: "\(index + 1)")?["status"], .string("ok"), topic)
            client.broadcast(topic, event: "hello", payload: .emptyObject, ref: "w\(index)", joinRef: "\(index + 1)")
            client.send(topic: "phoenix", event: "heartbeat", payload: .emptyObject, ref: "h\(index)")
            XCTAssertNotNil(client.waitForReply(ref: "h\(index)"), "the broadcast before it was handled")
        }
        let subscription = try await client.connection.eventLoop.submit {
            client.connection.registry.channel(topics[0])?.subscription
        }.get()
        XCTAssertEqual(subscription?.userUUID, user)
        for (index, topic) in topics.enumerated() {
            client.send(topic: topic, event: "phx_leave", payload: .emptyObject, ref: "l\(index)", joinRef: "\(index + 1)")
            XCTAssertNotNil(client.waitForReply(ref: "l\(index)"))
        }
        client.send(topic: "phoenix", event: "heartbeat", payload: .emptyObject, ref: "h-end")
        XCTAssertNotNil(client.waitForReply(ref: "h-end"), "the last leave was handled")
        let expected: [Topic?] = [.event(event), .freeForm("lobby"), nil]
        let seen = feeds.seen.withLockedValue { $0 }
        XCTAssertEqual(seen["join"], expected)
        XCTAssertEqual(seen["write"], expected)
        XCTAssertEqual(seen["leave"], expected)
        try await harness.shutdown()
    }
}
