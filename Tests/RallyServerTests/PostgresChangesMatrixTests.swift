import Foundation
import PostgresNIO
import RallyClient
import RallyDirectory
import RallyPrivacy
import RallyProtocol
import RallyServer
import RallyTestSupport
import XCTest

/// `postgres_changes` end to end against a real PostgreSQL: six subscribers (the actor, a friend, a stranger,
/// someone the actor blocks, a group member, `service_role`) ask for every served table; the actor's rows of each
/// table — INSERT, UPDATE with an old row some may not see, DELETE — reach exactly those the rules allow, and a
/// later unfriending and leaving of the group apply to the rows that follow. Each subscriber's list is checked
/// after a marker row everyone may see.
final class PostgresChangesMatrixTests: XCTestCase {
    let actor = UUID(), friend = UUID(), stranger = UUID(), blocked = UUID(), member = UUID(), marker = UUID()
    let event = UUID(), laterEvent = UUID(), friendsEvent = UUID(), group = UUID(), plan = UUID()

    func testEveryRowReachesExactlyWhoMaySeeIt() async throws {
        try await withDatabaseNode(seed: seed()) { database, harness in try await run(database, harness) }
    }

    private var everyTable: JSON { .object(["event": .string("*"), "schema": .string("public")]) }
    private var eventFilter: JSON {
        .object(["event": .string("*"), "schema": .string("public"), "table": .string("event_attendance"),
                 "filter": .string("event_id=eq.\(event.lowercased)")])
    }

    private func run(_ database: TestDatabase, _ harness: NodeHarness) async throws {
        let people = [("actor", actor), ("friend", friend), ("stranger", stranger), ("blocked", blocked),
                      ("member", member)]
        var clients: [String: TestConnection] = [:]
        for (name, id) in people {
            clients[name] = try await connect(harness, subject: id.lowercased, version: name == "member" ? .v2 : .v1)
        }
        clients["service"] = try await connect(harness, subject: nil, version: .v1)
        var replyIDs: [String: [Int]] = [:]
        for (name, client) in clients {
            let reply = try await client.connection.join("realtime:changes", options: JoinOptions(
                postgresChanges: name == "friend" ? [everyTable, eventFilter] : [everyTable]))
            XCTAssertTrue(reply.isOK, "\(name): \(reply)")
            replyIDs[name] = reply.response["postgres_changes"]?.arrayValue?.compactMap { $0["id"]?.intValue }
        }
        for (name, client) in clients {
            let system = client.events.first { $0.event == "system" && $0.topic == "realtime:changes" }
            XCTAssertEqual(system?.payload["message"], .string("Subscribed to PostgreSQL"), name)
            XCTAssertEqual(system?.payload["extension"], .string("postgres_changes"), name)
            XCTAssertEqual(system?.payload["channel"], .string("changes"), name)
        }
        let refused = try await clients["actor"]!.connection.join("realtime:refused", options: JoinOptions(
            postgresChanges: [.object(["event": .string("*"), "schema": .string("public"),
                                       "table": .string("notifications")])]))
        XCTAssertEqual(refused.status, "error")
        XCTAssertTrue(refused.response["reason"]?.stringValue?.hasPrefix(
            "PostgresChangesUnsupported: Unable to subscribe to changes with given parameters: table notifications "
            + "is not served") == true, "\(refused)")
        try await writeRows(database)
        let expected: [String: Set<String>] = [
            "actor": ["rsvp INSERT", "rsvp UPDATE old", "rsvp DELETE", "friends event UPDATE old", "hello INSERT",
                      "hello DELETE", "long INSERT", "plan_participants INSERT", "marker INSERT"],
            "friend": ["rsvp INSERT", "rsvp UPDATE old", "rsvp DELETE", "friends event UPDATE old", "marker INSERT"],
            "stranger": ["rsvp UPDATE key", "rsvp DELETE", "marker INSERT"],
            "blocked": ["marker INSERT"],
            "member": ["rsvp UPDATE key", "rsvp DELETE", "hello INSERT", "hello DELETE", "long INSERT",
                       "plan_participants INSERT", "marker INSERT"],
            "service": ["rsvp INSERT", "rsvp UPDATE old", "rsvp DELETE", "friends event UPDATE old", "hello INSERT",
                        "hello DELETE", "long INSERT", "plan_participants INSERT", "marker INSERT"],
        ]
        for (name, client) in clients {
            XCTAssertEqual(labels(client.events, until: "marker INSERT"), expected[name], name)
        }
        try checkShape(clients["friend"]!.events, replyIDs: replyIDs["friend"] ?? [])
        try await revokeAndWriteAgain(database)
        for (name, client) in clients {
            let later = labels(client.events, until: "marker UPDATE old").subtracting(expected[name]!)
            let allowed: Set<String> = name == "actor" || name == "service"
                ? ["unfriended INSERT", "after leaving INSERT", "marker UPDATE old"] : ["marker UPDATE old"]
            XCTAssertEqual(later, allowed, "\(name) after the unfriending and the leaving")
        }
    }

    private func writeRows(_ db: TestDatabase) async throws {
        try await rsvp(db, actor, event, visibility: "friends", notes: "rsvp")
        try await sql(db, "UPDATE event_attendance SET visibility = 'public' WHERE user_id = \(actor)")
        try await sql(db, "DELETE FROM event_attendance WHERE user_id = \(actor) AND event_id = \(event)")
        try await sql(db, "UPDATE events SET title = 'friends event' WHERE id = \(friendsEvent)")
        try await post(db, "hello")
        try await sql(db, "DELETE FROM group_messages WHERE body = 'hello'")
        // Past NOTIFY's limit: only the key columns travel and the row is read back.
        try await post(db, String(repeating: "long ", count: 2000))
        try await sql(db, """
            INSERT INTO plan_participants (plan_id, user_id, status) VALUES (\(plan), \(member), 'invited')
            """)
        try await rsvp(db, marker, event, visibility: "public", notes: "marker")
    }

    private func revokeAndWriteAgain(_ db: TestDatabase) async throws {
        try await sql(db, "DELETE FROM friendships WHERE user_id = \(actor) AND friend_id = \(friend)")
        try await sql(db, "DELETE FROM group_members WHERE group_id = \(group) AND user_id = \(member)")
        try await rsvp(db, actor, laterEvent, visibility: "friends", notes: "unfriended")
        try await post(db, "after leaving")
        try await sql(db, "UPDATE event_attendance SET status = 'maybe' WHERE user_id = \(marker)")
    }

    private func rsvp(_ db: TestDatabase, _ user: UUID, _ event: UUID, visibility: String, notes: String)
        async throws {
        try await sql(db, """
            INSERT INTO event_attendance (user_id, event_id, status, visibility, notes)
            VALUES (\(user), \(event), 'going', \(visibility), \(notes))
            """)
    }

    /// A message of the actor in the group.
    private func post(_ db: TestDatabase, _ body: String) async throws {
        try await sql(db, "INSERT INTO group_messages (group_id, user_id, body) VALUES (\(group), \(actor), \(body))")
    }

    /// The friend's view of the UPDATE: Supabase's fields, both binding ids (its filter matched), whole old row.
    private func checkShape(_ events: EventRecorder, replyIDs: [Int]) throws {
        let update = try XCTUnwrap(events.all.first { label(of: $0) == "rsvp UPDATE old" })
        XCTAssertEqual(update.payload["ids"]?.arrayValue?.compactMap(\.intValue), replyIDs)
        let data = try XCTUnwrap(update.payload["data"]?.objectValue)
        XCTAssertEqual(data["schema"], .string("public"))
        XCTAssertEqual(data["table"], .string("event_attendance"))
        XCTAssertEqual(data["errors"], .null)
        XCTAssertEqual(data["record"]?["visibility"], .string("public"))
        XCTAssertEqual(data["old_record"]?["visibility"], .string("friends"))
        XCTAssertTrue(data["columns"]?.arrayValue?.contains(.object(["name": .string("event_id"),
                                                                      "type": .string("uuid")])) == true)
        XCTAssertNotNil(data["commit_timestamp"]?.stringValue?.hasSuffix("Z"))
    }

    // MARK: Reading what arrived

    /// Every change received up to `until` (waited for), as "<row label> <type>" plus, for an UPDATE, whether the
    /// old row came whole ("old") or as its key ("key").
    private func labels(_ events: EventRecorder, until last: String) -> Set<String> {
        events.first(timeout: 10) { self.label(of: $0) == last }
        return Set(events.all.compactMap { label(of: $0) })
    }

    private func label(of event: ServerEvent) -> String? {
        guard event.event == "postgres_changes", let data = event.payload["data"],
              let type = data["type"]?.stringValue else { return nil }
        let row = data["record"] ?? data["old_record"]
        var name = row?["notes"]?.stringValue ?? row?["body"]?.stringValue ?? row?["title"]?.stringValue
            ?? data["table"]?.stringValue ?? "?"
        if name.utf8.count == 10_000 { name = "long" }  // the whole body came (read back by id)
        guard type == "UPDATE" else { return "\(name) \(type)" }
        let oldKeys = data["old_record"]?.objectValue?.fields.map(\.key) ?? []
        return "\(name) \(type) \(oldKeys == ["id"] ? "key" : "old")"
    }

    // MARK: Setup

    private func seed() -> DirectorySeed {
        let names = [(actor, "actor"), (friend, "friend"), (stranger, "stranger"), (blocked, "blocked"),
                     (member, "member"), (marker, "marker")]
        return DirectorySeed(
            users: names.map { .init(id: $0.0, name: $0.1, privacy: .public) },
            friendships: [.init(user: actor, friend: friend, status: .accepted),
                          .init(user: actor, friend: blocked, status: .blocked, initiatedBy: actor)],
            groups: [.init(id: group, name: "group", createdBy: actor, privacy: .private,
                           members: [actor, member, blocked])],
            plans: [.init(id: plan, title: "plan", organizer: actor, participants: [])],
            events: [.init(id: event, title: "event", creator: nil, visibility: .public),
                     .init(id: laterEvent, title: "later", creator: nil, visibility: .public),
                     .init(id: friendsEvent, title: "draft", creator: actor, visibility: .friends)])
    }

    private func sql(_ database: TestDatabase, _ query: PostgresQuery) async throws {
        try await database.client.query(query, logger: TestDatabase.logger)
    }

    private func connect(_ harness: NodeHarness, subject: String?, version: ProtocolVersion) async throws
        -> TestConnection {
        let token = try await harness.token(role: subject == nil ? "service_role" : "authenticated", subject: subject)
        let recorder = EventRecorder()
        let connection = try await RealtimeConnection.connect(
            to: harness.base, version: version, apiKey: token, inbound: .callback({ recorder.record($0) }),
            on: harness.clientGroup)
        return TestConnection(connection: connection, events: recorder)
    }
}
