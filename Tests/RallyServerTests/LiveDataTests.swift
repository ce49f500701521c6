import Foundation
import NIOCore
import RallyClient
import RallyDirectory
import RallyPrivacy
import RallyProtocol
import RallyServer
import XCTest

/// The live feeds end to end on an embedded node (in-memory directory, real sockets): capacity, event changes,
/// plans, notifications, chat with replay, friend activity filtered per subscriber.
final class LiveDataTests: XCTestCase {
    var harness: NodeHarness!
    var directory: InMemoryDirectory!

    override func setUp() async throws {
        harness = try await NodeHarness()
        directory = try XCTUnwrap(harness.node.access.directory as? InMemoryDirectory)
    }

    override func tearDown() async throws {
        try await harness.shutdown()
    }

    func testEventJoinGetsCurrentCountsThenEveryChange() async throws {
        let dave = try await connect(as: DemoData.dave)
        let topic = "realtime:" + Self.topic("event", DemoData.jazzInThePark)
        try await assertJoined(dave, topic)
        let first = try XCTUnwrap(dave.events.first { $0.broadcastEvent == "capacity" }).broadcastPayload
        XCTAssertEqual(Self.field(first, "going"), .int(3))
        XCTAssertEqual(Self.field(first, "interested"), .int(1))
        XCTAssertEqual(Self.field(first, "remaining"), .int(197))
        XCTAssertEqual(Self.field(first, "live"), .bool(true))
        let details = dave.events.first { $0.broadcastEvent == "event" }?.broadcastPayload
        XCTAssertEqual(Self.field(details, "title"), .string("Summer jazz in the park"))
        await directory.apply(.setAttendance(event: DemoData.jazzInThePark,
                                             .init(user: DemoData.carol, status: "going", visibility: .private)))
        let updated = dave.events.first { $0.broadcastEvent == "capacity" && Self.field($0.broadcastPayload, "going") == .int(4) }
        XCTAssertEqual(Self.field(updated?.broadcastPayload, "remaining"), .int(196))
        await directory.apply(.cancelEvent(DemoData.jazzInThePark))
        XCTAssertNotNil(dave.events.first { $0.broadcastEvent == "event" && Self.field($0.broadcastPayload, "cancelled") == .bool(true) })
    }

    func testBurstOfRSVPsIsCoalescedAndEndsOnTheCurrentCount() async throws {
        let dave = try await connect(as: DemoData.dave)
        let topic = "realtime:" + Self.topic("event", DemoData.bobOpenStudio)
        try await assertJoined(dave, topic)
        dave.events.first { $0.broadcastEvent == "capacity" }
        let started = Date()
        let burst = 2000
        for _ in 0..<burst {
            await directory.apply(.setAttendance(event: DemoData.bobOpenStudio,
                                                 .init(user: UUID(), status: "going", visibility: .public)))
        }
        let last = dave.events.first(timeout: 10) {
            $0.broadcastEvent == "capacity" && Self.field($0.broadcastPayload, "going") == .int(burst)
        }
        XCTAssertNotNil(last)
        let elapsed = Date().timeIntervalSince(started)
        let updates = dave.events.all.filter { $0.broadcastEvent == "capacity" }.count - 1
        // 5 updates per second per event at most (RALLY_CAPACITY_UPDATES_PER_SECOND), plus the one that may start
        // at once.
        XCTAssertLessThanOrEqual(Double(updates), elapsed * 5 + 2, "\(updates) updates in \(elapsed)s")
    }

    func testPlanStatusOnJoinAndOnChange() async throws {
        let bob = try await connect(as: DemoData.bob)
        try await assertJoined(bob, "realtime:" + Self.topic("plan", DemoData.fridayDinner))
        let plan = bob.events.first { $0.broadcastEvent == "plan" }?.broadcastPayload
        XCTAssertEqual(Self.field(plan, "status"), .string("planning"))
        await directory.apply(.setPlanStatus(plan: DemoData.fridayDinner, "confirmed"))
        XCTAssertNotNil(bob.events.first { $0.broadcastEvent == "plan" && Self.field($0.broadcastPayload, "status") == .string("confirmed") })
    }

    func testNotificationsUnreadOnJoinThenLive() async throws {
        let earlier = NotificationRecord(id: UUID(), user: DemoData.bob, type: "friend_request", title: "Carol",
                                         message: "wants to be friends", createdAt: Date())
        await directory.apply(.insertNotification(earlier))
        let bob = try await connect(as: DemoData.bob)
        try await assertJoined(bob, "realtime:" + Self.topic("user", DemoData.bob))
        let unread = bob.events.first { $0.broadcastEvent == "notifications" }?.broadcastPayload
        XCTAssertEqual(Self.field(unread, "count"), .int(1))
        let fresh = NotificationRecord(id: UUID(), user: DemoData.bob, type: "group_invite", title: "Jazz lovers",
                                       message: "join us", createdAt: Date())
        await directory.apply(.insertNotification(fresh))
        let live = bob.events.first { $0.broadcastEvent == "notification" }?.broadcastPayload
        XCTAssertEqual(Self.field(live, "id"), .string(fresh.id.uuidString.lowercased()))
        XCTAssertEqual(Self.field(live, "type"), .string("group_invite"))
    }

    func testChatIsStoredAcknowledgedWithItsIdAndReplayedAfterReconnect() async throws {
        let topic = "realtime:" + Self.topic("group", DemoData.rooftopCrew)
        let alice = try await connect(as: DemoData.alice)
        let bob = try await connect(as: DemoData.bob)
        try await assertJoined(alice, topic)
        try await assertJoined(bob, topic)
        var ids: [String] = []
        for index in 1...3 {
            let reply = try await alice.connection.request(topic: topic, event: "broadcast", payload: .object([
                "type": .string("broadcast"), "event": .string("message"),
                "payload": .object(["body": .string("hello \(index)")])]))
            XCTAssertTrue(reply.isOK, "\(reply)")
            ids.append(try XCTUnwrap(reply.response["id"]?.stringValue))
        }
        let received = bob.events.wait(count: 3) { $0.broadcastEvent == "message" }
        XCTAssertEqual(received.map { $0.payload["meta"]?.objectValue?["id"]?.stringValue }, ids)
        XCTAssertEqual(alice.events.wait(count: 3) { $0.broadcastEvent == "message" }.count, 3)

        let again = try await connect(as: DemoData.bob)
        let replay = JSON.object(["config": .object(["broadcast": .object([
            "replay": .object(["after_id": .string(ids[0]), "limit": .int(10)])])])])
        try await assertJoined(again, topic, payload: replay)
        let replayed = again.events.wait(count: 2) { $0.broadcastEvent == "message" }
        XCTAssertEqual(replayed.map { $0.payload["meta"]?.objectValue?["id"]?.stringValue }, Array(ids[1...]))
        XCTAssertEqual(replayed.map { $0.payload["meta"]?.objectValue?["replayed"] }, [.bool(true), .bool(true)])
        let done = again.events.first { $0.broadcastEvent == "replay_done" }?.broadcastPayload
        XCTAssertEqual(Self.field(done, "last_id"), .string(ids[2]))
        XCTAssertEqual(Self.field(done, "more"), .bool(false))
    }

    func testChatMessagesNeverCrossABlock() async throws {
        let topic = "realtime:" + Self.topic("group", DemoData.jazzLovers)
        await directory.apply(.addMember(group: DemoData.jazzLovers, user: DemoData.erin))
        let erin = try await connect(as: DemoData.erin)
        let dave = try await connect(as: DemoData.dave)
        let bob = try await connect(as: DemoData.bob)
        for client in [erin, dave, bob] { try await assertJoined(client, topic) }
        for (author, body) in [(erin, "from erin"), (bob, "from bob")] {
            let reply = try await author.connection.request(topic: topic, event: "broadcast", payload: .object([
                "type": .string("broadcast"), "event": .string("message"), "payload": .object(["body": .string(body)])]))
            XCTAssertTrue(reply.isOK, "\(reply)")
        }
        XCTAssertEqual(bob.events.wait(count: 2) { $0.broadcastEvent == "message" }.count, 2)
        dave.events.first { $0.broadcastEvent == "message" && Self.field($0.broadcastPayload, "body") == .string("from bob") }
        let daveGot = dave.events.all.filter { $0.broadcastEvent == "message" }.map { Self.field($0.broadcastPayload, "body") }
        XCTAssertEqual(daveGot, [.string("from bob")], "Dave blocked Erin: her message never reaches him")
    }

    func testChatRefusesBadMessagesWithAReason() async throws {
        let topic = "realtime:" + Self.topic("group", DemoData.rooftopCrew)
        let alice = try await connect(as: DemoData.alice)
        try await assertJoined(alice, topic)
        let empty = try await alice.connection.request(topic: topic, event: "broadcast", payload: .object([
            "type": .string("broadcast"), "event": .string("message"), "payload": .object(["body": .string("")])]))
        XCTAssertTrue(empty.reason?.hasPrefix("InvalidMessage:") == true, "\(empty)")
        let huge = try await alice.connection.request(topic: topic, event: "broadcast", payload: .object([
            "type": .string("broadcast"), "event": .string("message"),
            "payload": .object(["body": .string(String(repeating: "x", count: 5000))])]))
        XCTAssertTrue(huge.reason?.hasPrefix("MessageTooLarge:") == true, "\(huge)")
        let badReplay = JSON.object(["config": .object(["broadcast": .object(["replay": .object([:])])])])
        let again = try await connect(as: DemoData.alice)
        let refused = try await again.connection.join(topic, payload: badReplay)
        XCTAssertEqual(refused.reason, "UnableToReplayMessages: Replay params are not valid")
    }

    func testActivityReachesFriendsFeedsAndIsFilteredPerProfileSubscriber() async throws {
        let bob = try await connect(as: DemoData.bob)
        let dave = try await connect(as: DemoData.dave)
        try await assertJoined(bob, "realtime:" + Self.topic("feed", DemoData.bob))
        try await assertJoined(dave, "realtime:" + Self.topic("feed", DemoData.dave))
        // Alice (friends_only) goes to Bob's public open studio: Bob, her friend, sees it; Dave does not.
        await directory.apply(.setAttendance(event: DemoData.bobOpenStudio,
                                             .init(user: DemoData.alice, status: "going", visibility: .friends)))
        let item = bob.events.first { $0.broadcastEvent == "activity" }?.broadcastPayload
        XCTAssertEqual(Self.field(item, "actor_id"), .string(DemoData.alice.uuidString.lowercased()))
        XCTAssertEqual(Self.field(item, "verb"), .string("going"))

        // Bob (public) on his profile: a friends-only RSVP reaches Alice (friend), not Dave; a public one both.
        let alice = try await connect(as: DemoData.alice)
        let profile = "realtime:" + Self.topic("profile", DemoData.bob)
        try await assertJoined(alice, profile)
        try await assertJoined(dave, profile)
        await directory.apply(.setAttendance(event: DemoData.aliceBirthday,
                                             .init(user: DemoData.bob, status: "maybe", visibility: .friends)))
        await directory.apply(.setAttendance(event: DemoData.jazzInThePark,
                                             .init(user: DemoData.bob, status: "interested", visibility: .public)))
        let aliceItems = alice.events.wait(count: 2) { $0.broadcastEvent == "activity" && $0.topic == profile }
        XCTAssertEqual(aliceItems.map { Self.field($0.broadcastPayload, "verb") }, [.string("maybe"), .string("interested")])
        dave.events.first { $0.broadcastEvent == "activity" && $0.topic == profile }
        let daveItems = dave.events.all.filter { $0.broadcastEvent == "activity" }
        XCTAssertEqual(daveItems.map { Self.field($0.broadcastPayload, "verb") }, [.string("interested")])
    }

    func testANewFriendshipReachesAnOpenFeedWithoutRejoin() async throws {
        let dave = try await connect(as: DemoData.dave)
        try await assertJoined(dave, "realtime:" + Self.topic("feed", DemoData.dave))
        await directory.apply(.setFriendship(.init(user: DemoData.bob, friend: DemoData.dave, status: .accepted)))
        await directory.apply(.setAttendance(event: DemoData.jazzInThePark,
                                             .init(user: DemoData.bob, status: "maybe", visibility: .friends)))
        let item = dave.events.first { $0.broadcastEvent == "activity" }?.broadcastPayload
        XCTAssertEqual(Self.field(item, "actor_id"), .string(DemoData.bob.uuidString.lowercased()))
    }

    // MARK: Helpers

    private func assertJoined(_ client: TestConnection, _ topic: String, payload: JSON? = nil,
                              file: StaticString = #filePath, line: UInt = #line) async throws {
        let reply: Reply
        if let payload {
            reply = try await client.connection.join(topic, payload: payload)
        } else {
            reply = try await client.connection.join(topic)
        }
        XCTAssertTrue(reply.isOK, "\(reply)", file: file, line: line)
    }

    private func connect(as user: UUID) async throws -> TestConnection {
        let token = try await harness.token(subject: user.uuidString.lowercased())
        let recorder = EventRecorder()
        let connection = try await RealtimeConnection.connect(
            to: harness.base, version: .v1, apiKey: token, inbound: .callback({ recorder.record($0) }),
            on: harness.clientGroup)
        return TestConnection(connection: connection, events: recorder)
    }

    static func topic(_ kind: String, _ id: UUID) -> String { "\(kind):\(id.uuidString.lowercased())" }

    static func field(_ payload: BroadcastPayload?, _ key: String) -> JSON? {
        guard case .json(let value)? = payload else { return nil }
        return value[key]
    }
}
