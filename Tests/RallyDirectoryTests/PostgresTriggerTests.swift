import Foundation
import PostgresNIO
import RallyDirectory
import RallyPrivacy
import XCTest

/// What the triggers send on `rally_changes`, read with LISTEN on the real PostgreSQL.
final class PostgresTriggerTests: XCTestCase {
    typealias F = ContractFixture
    private var harness: PostgresHarness?

    private func fixture() async throws -> PostgresHarness {
        let made = try await PostgresHarness.make(seed: ContractFixture.seed)
        harness = made
        return made
    }

    override func tearDown() async throws {
        try await harness?.tearDown()
        harness = nil
    }

    /// A notification too big for NOTIFY is reported by id only; a small chat message comes inline; every
    /// payload holds only its fields.
    func testPayloadsCarryIdsOrSmallRows() async throws {
        let harness = try await fixture()
        let client = harness.database.client
        let notification = UUID()
        let payloads = try await RawNotifications.collect(on: harness.database, count: 3) {
            try await client.query("""
                INSERT INTO notifications (id, user_id, type, title, message)
                VALUES (\(notification), \(F.v), 'friend_request', 'A long title', \(String(repeating: "x", count: 9000)))
                """)
            try await client.query("""
                INSERT INTO group_messages (group_id, user_id, body) VALUES (\(F.privateGroup), \(F.v), 'hello')
                """)
            try await client.query("UPDATE friendships SET status = 'accepted' WHERE user_id = \(F.v) AND friend_id = \(F.asked)")
        }
        let objects = try payloads.map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        XCTAssertEqual(objects.map { Set($0.keys) }, [
            ["kind", "op", "id", "user"], ["kind", "op", "id", "group", "user", "body", "metadata", "created_at"],
            ["kind", "op", "a", "b", "status"],
        ])
        XCTAssertTrue(payloads.allSatisfy { $0.utf8.count < 300 }, "small payloads: \(payloads)")
        let changes = try payloads.map(DirectoryChange.parse(payload:))
        XCTAssertEqual(changes[0], .notification(.insert, id: notification, user: F.v, inline: nil))
        guard case .groupMessage(.insert, let id, F.privateGroup, let inline, nil) = changes[1] else {
            return XCTFail("not a group message: \(changes[1])")
        }
        XCTAssertGreaterThan(id, 0)
        XCTAssertEqual(inline?.body, "hello")
        XCTAssertEqual(inline?.user, F.v)
        XCTAssertEqual(changes[2], .friendship(.update, a: F.v, b: F.asked, status: .accepted))
    }

    /// Updates of columns no rule reads send nothing: the first change after them is the sentinel.
    func testIrrelevantUpdatesAreSilent() async throws {
        let harness = try await fixture()
        let recorder = try await harness.startRecording()
        let client = harness.database.client
        try await client.query("UPDATE users SET full_name = 'New name' WHERE id = \(F.v)")
        try await client.query("UPDATE group_members SET role = 'admin' WHERE user_id = \(F.v)")
        try await client.query("UPDATE event_attendance SET notes = 'bring snacks' WHERE user_id = \(F.v)")
        try await client.query("UPDATE groups SET description = 'new' WHERE id = \(F.privateGroup)")
        try await client.query("UPDATE plans SET title = 'renamed' WHERE id = \(F.plan)")
        try await client.query("UPDATE friendships SET updated_at = NOW() WHERE user_id = \(F.v)")
        try await harness.apply(.setPrivacy(user: F.v, .private))
        let received = await recorder.waitFor(count: 1)
        XCTAssertEqual(received, [.user(.update, user: F.v, privacy: .private)])
    }

    /// An attendance row moved to another event is reported as leaving one event and joining the other.
    func testMovedRowsAreReportedAsDeleteAndInsert() async throws {
        let harness = try await fixture()
        let recorder = try await harness.startRecording()
        try await harness.database.client.query("""
            UPDATE event_attendance SET event_id = \(F.friendsEvent) WHERE user_id = \(F.v) AND event_id = \(F.privateEvent)
            """)
        let received = await recorder.waitFor(count: 2)
        XCTAssertEqual(Set(received), [
            .attendance(.delete, event: F.privateEvent, user: F.v, status: "not_going", visibility: .private),
            .attendance(.insert, event: F.friendsEvent, user: F.v, status: "not_going", visibility: .private),
        ])
    }

    func testPlanAndEventLifecycle() async throws {
        let harness = try await fixture()
        let recorder = try await harness.startRecording()
        let client = harness.database.client
        try await client.query("DELETE FROM plans WHERE id = \(F.plan)")
        try await client.query("DELETE FROM events WHERE id = \(F.friendsEvent)")
        try await client.query("DELETE FROM groups WHERE id = \(F.friendsGroup)")
        let expected: Set<DirectoryChange> = [
            .plan(.delete, plan: F.plan, status: "planning"),
            // participants of a deleted plan are reported: their subscriptions end
            .planParticipant(.delete, plan: F.plan, user: F.asked, status: "invited"),
            .event(.delete, event: F.friendsEvent, visibility: .friends, active: true, creator: F.friend),
            .group(.delete, group: F.friendsGroup, privacy: .friendsOnly),
            .groupMember(.delete, group: F.friendsGroup, user: F.friend),
        ]
        let received = await recorder.waitUntil { Set($0).isSuperset(of: expected) }
        XCTAssertTrue(Set(received).isSuperset(of: expected), "\(received)")
        XCTAssertTrue(received.allSatisfy(\.mayRevoke), "\(received)")
    }

    /// A lost LISTEN connection is reconnected; the feed then says `.resync` and goes on delivering.
    func testChangeFeedResynchronisesAfterReconnecting() async throws {
        let harness = try await fixture()
        let recorder = try await harness.startRecording()
        let client = harness.database.client
        let terminated = try await client.query("""
            SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
            WHERE datname = current_database() AND query ILIKE 'LISTEN%' AND pid <> pg_backend_pid()
            """).collect().first?.decode(Int64.self)
        XCTAssertEqual(terminated, 1, "the feed's LISTEN connection")
        let resynced = await recorder.waitUntil { $0.contains(.resync) }
        XCTAssertEqual(resynced, [.resync])
        try await harness.apply(.setPrivacy(user: F.v, .friendsOnly))
        let after = await recorder.waitFor(count: 2)
        XCTAssertEqual(after, [.resync, .user(.update, user: F.v, privacy: .friendsOnly)])
    }
}
