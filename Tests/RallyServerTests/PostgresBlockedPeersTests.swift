import Foundation
import PostgresNIO
import RallyClient
import RallyDirectory
import RallyProtocol
import RallyServer
import RallyTestSupport
import XCTest

/// Against a real PostgreSQL: edits and deletions of a chat message never reach someone blocked with its author
/// (the deletion's NOTIFY names the author), and a `service_role` join of an unknown event or plan is `NotFound`.
final class PostgresBlockedPeersTests: XCTestCase {
    let blocker = UUID(), blocked = UUID(), other = UUID(), group = UUID()

    func testChatEditsAndDeletionsNeverCrossABlock() async throws {
        try await withDatabaseNode(seed: seed()) { database, harness in
            let topic = self.group.topic("group")
            let author = try await harness.connect(as: self.blocked)
            let viewer = try await harness.connect(as: self.blocker)
            let control = try await harness.connect(as: self.other)
            for client in [author, viewer, control] { try await client.assertJoins(topic) }
            let id = try await self.say(author, "to be edited", on: topic)
            try await database.client.query("UPDATE group_messages SET body = 'edited' WHERE id = \(id)",
                                            logger: TestDatabase.logger)
            try await database.client.query("DELETE FROM group_messages WHERE id = \(id)", logger: TestDatabase.logger)
            control.events.first { $0.topic == topic && $0.broadcastEvent == "message_deleted" }
            XCTAssertEqual(control.values("message_updated", on: topic, "body"), ["edited"])
            _ = try await self.say(control, "marker", on: topic)
            viewer.waitFor("message", on: topic, "body", "marker")
            let seen = viewer.events.all.compactMap(\.broadcastEvent)
            XCTAssertEqual(seen, ["message"], "only the marker: nothing of the blocked author, not even edits")
        }
    }

    func testServiceRoleJoinOfAnUnknownEventOrPlanIsNotFound() async throws {
        try await withDatabaseNode(seed: seed()) { _, harness in
            let service = try await harness.connect(as: nil, role: "service_role")
            for kind in ["event", "plan"] {
                let reply = try await service.connection.join(UUID().topic(kind))
                XCTAssertEqual(reply.reason, "NotFound: no such \(kind)")
            }
            try await service.assertJoins(self.group.topic("group"))
        }
    }

    private func say(_ client: TestConnection, _ body: String, on topic: String) async throws -> Int64 {
        let reply = try await client.connection.request(topic: topic, event: "broadcast", payload: .object([
            "type": .string("broadcast"), "event": .string("message"), "payload": object("body", body)]))
        XCTAssertTrue(reply.isOK, "\(reply)")
        return try XCTUnwrap(reply.response["id"]?.stringValue.flatMap { Int64($0) })
    }

    private func seed() -> DirectorySeed {
        DirectorySeed(
            users: [blocker, blocked, other].map { .init(id: $0, name: "user", privacy: .public) },
            friendships: [.init(user: blocker, friend: blocked, status: .blocked, initiatedBy: blocker)],
            groups: [.init(id: group, name: "shared", createdBy: other, privacy: .private,
                           members: [blocker, blocked, other])])
    }
}
