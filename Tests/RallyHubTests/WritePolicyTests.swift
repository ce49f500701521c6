import Foundation
import NIOConcurrencyHelpers
import NIOCore
import RallyAuth
import RallyHubTestSupport
import RallyPrivacy
import RallyProtocol
import XCTest
@testable import RallyHub

/// The write policy of a topic is decided once from its kind (at join, or per REST publish by the same function),
/// and the authorizer is handed the topic the hub parsed at join.
final class WritePolicyTests: XCTestCase {
    func testPolicyPerTopicKind() {
        let id = UUID()
        XCTAssertEqual(WritePolicy.of(.freeForm("lobby")), .freeForm)
        XCTAssertEqual(WritePolicy.of(nil), .freeForm, "a malformed topic is never joined: total, as free-form")
        XCTAssertEqual(WritePolicy.of(.group(id)), .chat(group: id))
        XCTAssertEqual(WritePolicy.of(.locationPlan(id)), .location(.locationPlan))
        XCTAssertEqual(WritePolicy.of(.locationFriends(id)), .location(.locationFriends))
        XCTAssertEqual(WritePolicy.of(.event(id)), .reservedNames(.event))
        XCTAssertEqual(WritePolicy.of(.plan(id)), .reservedNames(.plan))
        XCTAssertEqual(WritePolicy.of(.feed(id)), .reservedNames(.feed))
        XCTAssertEqual(WritePolicy.of(.profile(id)), .reservedNames(.profile))
        XCTAssertEqual(WritePolicy.of(.user(id)), .reservedNames(.user))
    }

    func testReservedKindIsTheTopicsKindExceptInFreeFormRooms() {
        let id = UUID()
        XCTAssertNil(WritePolicy.freeForm.reservedKind)
        XCTAssertEqual(WritePolicy.chat(group: id).reservedKind, .group)
        XCTAssertEqual(WritePolicy.location(.locationPlan).reservedKind, .locationPlan)
        XCTAssertEqual(WritePolicy.reservedNames(.event).reservedKind, .event)
    }

    func testAFeedJoinBuiltByHandGetsThePolicyOfItsParsedTopic() {
        let group = UUID()
        let identity = Identity(role: .authenticated, rawRole: "authenticated", subject: "u", expiresAt: .distantFuture)
        let subtopic = "group:\(group.uuidString.lowercased())"
        let join = FeedJoin(topic: "realtime:" + subtopic, subtopic: subtopic, identity: identity, config: JoinConfig(),
                            subscriptionID: 1)
        XCTAssertEqual(join.writePolicy, .chat(group: group))
    }

    /// An authorizer that keeps the parsed topic the hub handed it.
    private final class RecordingAuthorizer: TopicAuthorizer {
        let seen = NIOLockedValueBox<[Topic?]>([])

        func authorize(subtopic: String, identity: Identity, isPrivate: Bool, on loop: EventLoop)
            -> EventLoopFuture<AuthorizationDecision> {
            XCTFail("the hub hands the parsed topic")
            return loop.makeSucceededFuture(.allow(.full))
        }

        func authorize(topic: Topic?, subtopic: String, identity: Identity, isPrivate: Bool, on loop: EventLoop)
            -> EventLoopFuture<AuthorizationDecision> {
            seen.withLockedValue { $0.append(topic) }
            return loop.makeSucceededFuture(.allow(.full))
        }
    }

    /// Feeds that keep the write policy of every write.
    private final class PolicyFeeds: TopicFeeds {
        let seen = NIOLockedValueBox<[WritePolicy]>([])
        func join(_ join: FeedJoin, on loop: EventLoop) -> EventLoopFuture<FeedJoinOutcome> {
            loop.makeSucceededFuture(.ready(.empty))
        }
        func leave(_ join: FeedJoin) {}
        func write(_ write: FeedWrite) -> WriteDisposition {
            seen.withLockedValue { $0.append(write.join.writePolicy) }
            return .publish
        }
    }

    func testTheHubHandsTheParsedTopicToTheAuthorizerAndThePolicyToTheFeeds() async throws {
        let authorizer = RecordingAuthorizer()
        let feeds = PolicyFeeds()
        let harness = try await HubHarness(authorizer: authorizer, feeds: feeds)
        let group = UUID()
        let client = try await harness.connect(subject: UUID().uuidString.lowercased())
        let topics = ["realtime:group:\(group.uuidString.lowercased())", "realtime:lobby"]
        for (index, topic) in topics.enumerated() {
            XCTAssertEqual(client.join(topic, ref: "\(index + 1)")?["status"], .string("ok"), topic)
            client.broadcast(topic, event: "hello", payload: .emptyObject, ref: "w\(index)", joinRef: "\(index + 1)")
            client.send(topic: "phoenix", event: "heartbeat", payload: .emptyObject, ref: "h\(index)")
            XCTAssertNotNil(client.waitForReply(ref: "h\(index)"), "the broadcast before it was handled")
        }
        XCTAssertEqual(authorizer.seen.withLockedValue { $0 }, [.group(group), .freeForm("lobby")])
        XCTAssertEqual(feeds.seen.withLockedValue { $0 }, [.chat(group: group), .freeForm])
    }
}
