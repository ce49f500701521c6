import Foundation
import RallyClient
import RallyDirectory
import RallyProtocol
import RallyTestSupport
import XCTest

/// Location sharing's privacy matrix against a real PostgreSQL: plan participant, non-participant, friend,
/// non-friend, blocked either way, not opted in, after leaving the plan, after unfriending, after expiry.
/// Leaving the plan and unfriending are rows deleted in the database; the receiver's channel must close within a
/// second, and nothing sent afterwards reaches it.
final class PostgresLocationMatrixTests: XCTestCase {
    let sharer = UUID(), participant = UUID(), outsider = UUID(), friend = UUID(), stranger = UUID()
    let blockedBySharer = UUID(), blockingSharer = UUID(), quiet = UUID(), leaver = UUID(), exFriend = UUID()
    let plan = UUID()

    func testPlanParticipantsOnlyNeverAcrossABlockAndNotAfterLeaving() async throws {
        try await withNode { database, harness in
            let topic = self.plan.topic("location:plan")
            let people = [self.sharer, self.participant, self.blockedBySharer, self.blockingSharer, self.quiet,
                          self.leaver]
            var clients: [UUID: TestConnection] = [:]
            for person in people {
                clients[person] = try await harness.connect(as: person)
                try await clients[person]!.assertJoins(topic)
            }
            let outsider = try await harness.connect(as: self.outsider)
            let refused = try await outsider.connection.join(topic)
            XCTAssertFalse(refused.isOK, "a non-participant may not join")

            // Not opted in: a position without share_start is refused, and nobody hears of it.
            let unshared = try await self.send(clients[self.quiet]!, "position", lat: 1, on: topic)
            XCTAssertEqual(unshared.reason?.hasPrefix("LocationNotShared"), true, "\(unshared)")
            let forged = try await self.send(clients[self.quiet]!, "location", lat: 1, on: topic)
            XCTAssertEqual(forged.reason, "ReservedEvent: location is sent only by the server")

            try await self.start(clients[self.sharer]!, on: topic)
            try await self.position(clients[self.sharer]!, lat: 52.520_008_123, on: topic)
            for person in [self.participant, self.quiet, self.leaver] {
                let got = clients[person]!.waitFor("location", on: topic, "user_id", self.sharer.lowercased)
                XCTAssertEqual(TestConnection.field(got?.broadcastPayload, "lat"), .number("52.5200"), "rounded")
            }

            // Leaving the plan closes the channel within a second; what follows does not reach the leaver.
            try await database.client.query(
                "DELETE FROM plan_participants WHERE plan_id = \(self.plan) AND user_id = \(self.leaver)",
                logger: TestDatabase.logger)
            XCTAssertNotNil(clients[self.leaver]!.events.first(timeout: 1) {
                $0.topic == topic && $0.event == "phx_close" }, "the leaver's channel closes within a second")
            try await self.position(clients[self.sharer]!, lat: 10, on: topic)
            clients[self.participant]!.waitFor("location", on: topic, "lat", "10.0000", as: .number("10.0000"))

            // A blocked member's share reaches the others, never the person on the other side of the block.
            try await self.start(clients[self.blockedBySharer]!, on: topic)
            try await self.position(clients[self.blockedBySharer]!, lat: 20, on: topic)
            clients[self.participant]!.waitFor("location", on: topic, "lat", "20.0000", as: .number("20.0000"))

            try await self.stop(clients[self.sharer]!, on: topic)
            clients[self.participant]!.waitFor("location_stopped", on: topic, "reason", "stopped")

            // A last position from someone blocked with nobody: once everyone has it, they have had all before it.
            try await self.start(clients[self.participant]!, on: topic)
            try await self.position(clients[self.participant]!, lat: 30, on: topic)
            for person in [self.sharer, self.blockedBySharer, self.blockingSharer, self.quiet] {
                clients[person]!.waitFor("location", on: topic, "lat", "30.0000", as: .number("30.0000"))
            }
            let senders = { (person: UUID) in Set(clients[person]!.received("location", on: topic).compactMap {
                TestConnection.field($0.broadcastPayload, "user_id")?.stringValue }) }
            let (sharer, blocked, marker) = (self.sharer.lowercased, self.blockedBySharer.lowercased,
                                             self.participant.lowercased)
            XCTAssertEqual(senders(self.participant), [sharer, blocked])
            XCTAssertEqual(senders(self.quiet), [sharer, blocked, marker])
            XCTAssertEqual(senders(self.sharer), [marker], "nothing from a person blocked, nor from oneself")
            XCTAssertEqual(senders(self.blockedBySharer), [marker], "nothing from the person they are blocked with")
            XCTAssertEqual(senders(self.blockingSharer), [blocked, marker], "nothing from the person they blocked")
            XCTAssertEqual(clients[self.leaver]!.received("location", on: topic).count, 1, "nothing after leaving")
            XCTAssertFalse(senders(self.participant).contains(self.quiet.lowercased), "never from the not opted in")
            for person in [self.blockedBySharer, self.blockingSharer] {
                XCTAssertEqual(clients[person]!.received("location_stopped", on: topic).count, 0,
                               "not even that the blocked person stopped")
            }
        }
    }

    func testAcceptedFriendsOnlyNotAfterUnfriendingAndStoppedOnExpiryAndLeave() async throws {
        try await withNode { database, harness in
            let topic = self.sharer.topic("location:friends")
            let sharer = try await harness.connect(as: self.sharer)
            try await sharer.assertJoins(topic)
            let friend = try await harness.connect(as: self.friend)
            let exFriend = try await harness.connect(as: self.exFriend)
            for client in [friend, exFriend] { try await client.assertJoins(topic) }
            for person in [self.stranger, self.participant, self.blockedBySharer, self.blockingSharer] {
                let client = try await harness.connect(as: person)
                let reply = try await client.connection.join(topic)
                XCTAssertFalse(reply.isOK, "only accepted friends, never across a block")
            }
            try await self.start(sharer, on: topic)
            try await self.position(sharer, lat: 1, on: topic)
            for client in [friend, exFriend] {
                client.waitFor("location", on: topic, "user_id", self.sharer.lowercased)
            }

            try await database.client.query(
                """
                DELETE FROM friendships
                WHERE user_id IN (\(self.sharer), \(self.exFriend)) AND friend_id IN (\(self.sharer), \(self.exFriend))
                """, logger: TestDatabase.logger)
            XCTAssertNotNil(exFriend.events.first(timeout: 1) { $0.topic == topic && $0.event == "phx_close" },
                            "the former friend's channel closes within a second")
            try await self.position(sharer, lat: 2, on: topic)
            friend.waitFor("location", on: topic, "lat", "2.0000", as: .number("2.0000"))
            XCTAssertEqual(exFriend.received("location", on: topic).count, 1, "nothing after unfriending")

            // Expiry: the receivers are told, and the sharer must opt in again.
            try await self.start(sharer, on: topic, seconds: 1)
            let expired = friend.events.first(timeout: 5) {
                $0.broadcastEvent == "location_stopped"
                    && TestConnection.field($0.broadcastPayload, "reason") == .string("expired")
            }
            XCTAssertNotNil(expired)
            let late = try await self.send(sharer, "position", lat: 3, on: topic)
            XCTAssertEqual(late.reason?.hasPrefix("LocationNotShared"), true, "no position after expiry: \(late)")

            // The sharer's channel closing ends the share.
            try await self.start(sharer, on: topic)
            _ = try await sharer.connection.leave(topic)
            friend.waitFor("location_stopped", on: topic, "reason", "left")
        }
    }

    // MARK: Helpers

    private func start(_ client: TestConnection, on topic: String, seconds: Int = 60) async throws {
        let reply = try await client.connection.request(topic: topic, event: "broadcast", payload: .object([
            "type": .string("broadcast"), "event": .string("share_start"),
            "payload": .object(["duration_s": .int(seconds)])]))
        XCTAssertTrue(reply.isOK, "\(reply)")
        XCTAssertNotNil(reply.response["expires_at"]?.stringValue)
    }

    private func position(_ client: TestConnection, lat: Double, on topic: String) async throws {
        let reply = try await send(client, "position", lat: lat, on: topic)
        XCTAssertTrue(reply.isOK, "\(reply)")
    }

    private func stop(_ client: TestConnection, on topic: String) async throws {
        let reply = try await send(client, "share_stop", lat: nil, on: topic)
        XCTAssertTrue(reply.isOK, "\(reply)")
    }

    /// A broadcast of `event` (a position at `lat` when given) and the server's answer.
    private func send(_ client: TestConnection, _ event: String, lat: Double?, on topic: String) async throws
        -> Reply {
        var payload: JSON = .emptyObject
        if let lat {
            payload = .object(["lat": .number(String(lat)), "lon": .number("13.404954"), "accuracy": .int(5)])
        }
        return try await client.connection.request(topic: topic, event: "broadcast", payload: .object([
            "type": .string("broadcast"), "event": .string(event), "payload": payload]))
    }

    private func seed() -> DirectorySeed {
        let everyone = [sharer, participant, outsider, friend, stranger, blockedBySharer, blockingSharer, quiet, leaver,
                        exFriend]
        let members = [participant, blockedBySharer, blockingSharer, quiet, leaver]
        return DirectorySeed(
            users: everyone.map { .init(id: $0, name: "user", privacy: .public) },
            friendships: [
                .init(user: sharer, friend: friend, status: .accepted),
                .init(user: exFriend, friend: sharer, status: .accepted),
                .init(user: sharer, friend: blockedBySharer, status: .blocked, initiatedBy: sharer),
                .init(user: blockingSharer, friend: sharer, status: .blocked, initiatedBy: blockingSharer),
            ],
            plans: [.init(id: plan, title: "picnic", organizer: sharer,
                          participants: members.map { .init(user: $0, status: "accepted") })])
    }

    /// A node on a database holding `seed()`, whose every location write passes (the rate limit has its own tests).
    private func withNode(_ body: (TestDatabase, NodeHarness) async throws -> Void) async throws {
        try await withDatabaseNode(seed: seed(), configure: { $0.live.location.burst = 100 }, body)
    }
}

private extension TestConnection {
    /// Waits for `event` on `topic` whose field `key` is `json`.
    @discardableResult
    func waitFor(_ event: String, on topic: String, _ key: String, _ label: String, as json: JSON) -> ServerEvent? {
        events.first {
            $0.topic == topic && $0.broadcastEvent == event && Self.field($0.broadcastPayload, key) == json
        }
    }
}
