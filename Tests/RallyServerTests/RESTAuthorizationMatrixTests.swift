import Foundation
import NIOCore
import RallyClient
import RallyDirectory
import RallyProtocol
import XCTest

/// Who may publish what over REST, on a real node with the demo directory: exactly what the same user may
/// broadcast on a joined socket — free-form rooms open to signed-in users, groups and plans to their members,
/// names Rally sends refused, the `private` flag passed to the same rules, no delivery across a block, the
/// per-user and per-channel write limits — while `service_role` publishes anywhere.
final class RESTAuthorizationMatrixTests: XCTestCase {
    var rest: RealtimeJSRequests!
    let group = DemoData.rooftopCrew.topic("group")
    let plan = DemoData.fridayDinner.topic("plan")

    override func setUp() async throws {
        let harness = try await NodeHarness { configuration in
            configuration.live.typingPerSecond = 0  // burst only: the 4th typing in a row is over the limit
            configuration.limits.userRate.perWindow = 8
            configuration.limits.userRate.window = .seconds(3600)  // no new window in the middle of a test
            configuration.threads = 1  // the socket and the REST requests count on the same loop's gate
        }
        rest = try await RealtimeJSRequests(harness)
    }

    override func tearDown() async throws {
        try await rest.close()
    }

    func testUsersPerTopicKind() async throws {
        let cases: [(user: UUID?, role: String, topic: String, event: String, isPrivate: Bool, status: Int)] = [
            (DemoData.carol, "authenticated", "lobby", "hi", false, 202),  // free-form room
            (nil, "anon", "lobby", "hi", false, 403),  // anonymous (RALLY_ALLOW_ANON off)
            (DemoData.alice, "authenticated", sub(group), "vote", false, 202),  // a member, any name Rally never sends
            (DemoData.carol, "authenticated", sub(group), "vote", false, 403),  // not a member
            (DemoData.carol, "authenticated", sub(group), "vote", true, 403),  // private changes nothing
            (DemoData.alice, "authenticated", sub(group), "vote", true, 202),
            (DemoData.alice, "authenticated", sub(group), "message_deleted", false, 403),  // reserved
            (DemoData.alice, "authenticated", sub(plan), "plan", false, 403),  // reserved on plans
            (DemoData.alice, "authenticated", sub(plan), "vote", false, 202),
            (DemoData.alice, "authenticated", sub(DemoData.bob.topic("user")), "hello", false, 403),  // another's inbox
            (nil, "service_role", sub(group), "message_deleted", false, 202),  // the server's role, anywhere
            (nil, "service_role", sub(DemoData.bob.topic("user")), "notification", true, 202),
            // a location share belongs to a joined channel; the server's events are reserved there
            (DemoData.alice, "authenticated", sub(DemoData.fridayDinner.topic("location:plan")), "share_start", false,
             403),
            (DemoData.alice, "authenticated", sub(DemoData.fridayDinner.topic("location:plan")), "location", false,
             403),
            (DemoData.carol, "authenticated", sub(DemoData.alice.topic("location:friends")), "position", false, 403),
        ]
        for item in cases {
            let response = try await rest.httpSend(as: item.user, role: item.role, topic: item.topic, event: item.event,
                                                   payload: object("k", "v"), isPrivate: item.isPrivate)
            XCTAssertEqual(response.status, item.status, "\(item): \(response.bodyText)")
        }
    }

    func testARefusalSaysWhatTheSocketJoinSays() async throws {
        let carol = try await rest.harness.connect(as: DemoData.carol)
        let join = try await carol.connection.join(group)
        let response = try await rest.httpSend(as: DemoData.carol, topic: sub(group), event: "typing",
                                               payload: .emptyObject)
        XCTAssertFalse(join.isOK)
        XCTAssertEqual(response.status, 403)
        XCTAssertEqual(rest.message(response), join.reason)
        let reserved = try await rest.httpSend(as: DemoData.alice, topic: sub(group), event: "Message_Updated",
                                               payload: .emptyObject)
        XCTAssertEqual(rest.message(reserved), "ReservedEvent: Message_Updated is sent only by the server")
        let ownLocation = sub(DemoData.alice.topic("location:friends"))
        let location = try await rest.httpSend(as: DemoData.alice, topic: ownLocation, event: "share_start",
                                               payload: .emptyObject)
        XCTAssertEqual(rest.message(location),
                       "LocationNeedsChannel: positions are shared from a joined channel, not through the REST API")
    }

    func testNothingCrossesABlock() async throws {
        let directory = try XCTUnwrap(rest.harness.node.access.directory as? InMemoryDirectory)
        let jazz = DemoData.jazzLovers.topic("group")
        for person in [DemoData.dave, DemoData.erin] {
            await directory.apply(.addMember(group: DemoData.jazzLovers, user: person))
        }
        let dave = try await rest.joined(DemoData.dave, jazz)
        let bob = try await rest.joined(DemoData.bob, jazz)
        let fromErin = try await rest.httpSend(as: DemoData.erin, topic: sub(jazz), event: "typing",
                                               payload: object("who", "erin"))
        XCTAssertEqual(fromErin.status, 202)
        bob.waitFor("typing", on: jazz, "who", "erin")
        let fromBob = try await rest.httpSend(as: DemoData.bob, topic: sub(jazz), event: "typing",
                                              payload: object("who", "bob"))
        XCTAssertEqual(fromBob.status, 202)
        dave.waitFor("typing", on: jazz, "who", "bob")
        XCTAssertEqual(dave.values("typing", on: jazz, "who"), ["bob"], "Dave never gets what Erin (blocked) sends")
    }

    func testTheChannelWriteLimitAppliesPerUserAndTopic() async throws {
        var statuses: [Int] = []
        for _ in 1...4 {
            statuses.append(try await rest.httpSend(as: DemoData.alice, topic: sub(group), event: "typing",
                                                    payload: .emptyObject).status)
        }
        XCTAssertEqual(statuses, [202, 202, 202, 429])
        let bob = try await rest.httpSend(as: DemoData.bob, topic: sub(group), event: "typing", payload: .emptyObject)
        XCTAssertEqual(bob.status, 202, "another user's typing has its own limit")
    }

    func testThePerUserLimitCountsSocketAndRESTWritesTogether() async throws {
        let alice = try await rest.harness.connect(as: DemoData.alice)
        try await alice.assertJoins("realtime:lobby", options: JoinOptions(broadcastAck: true))
        for index in 1...5 {
            let ack = try await alice.connection.broadcast(topic: "realtime:lobby", event: "n",
                                                           payload: object("i", "\(index)"), awaitAck: true)
            XCTAssertEqual(ack?.isOK, true)
        }
        var statuses: [Int] = []
        for _ in 1...4 {
            statuses.append(try await rest.httpSend(as: DemoData.alice, topic: "lobby", event: "n",
                                                    payload: .emptyObject).status)
        }
        XCTAssertEqual(statuses, [202, 202, 202, 429])
        let limited = try await rest.httpSend(as: DemoData.alice, topic: "lobby", event: "n", payload: .emptyObject)
        XCTAssertEqual(rest.message(limited), "RateLimited: Too many messages per minute for this user")
        let service = try await rest.httpSend(as: nil, role: "service_role", topic: "lobby", event: "n",
                                              payload: .emptyObject)
        XCTAssertEqual(service.status, 202, "service_role has no per-user limit")
    }

    private func sub(_ topic: String) -> String { String(topic.dropFirst("realtime:".count)) }
}
