import Foundation
import Logging
import PostgresNIO
import RallyPrivacy

/// The live-data rows read from Postgres (and chat messages written to it) through postgres-nio pools, with
/// parameterised queries only. Like `PostgresDirectory`, the user and event tables may live in two databases
/// (seed 000): pass a second client for events, or none when both are one. The clients must be running.
public struct PostgresLiveStore: LiveStore {
    let users: PostgresClient
    let events: PostgresClient
    let logger: Logger

    public init(users: PostgresClient, events: PostgresClient? = nil,
                logger: Logger = Logger(label: "rally.live-store")) {
        self.users = users
        self.events = events ?? users
        self.logger = logger
    }

    /// One query: the attendance counts by status next to the event's capacity; no row for an unknown event.
    public func capacity(of event: UUID) async throws -> CapacityCounts? {
        guard let row = try await firstRow(events, """
            SELECT e.capacity, a.going, a.interested, a.maybe
            FROM events e, LATERAL (
                SELECT count(*) FILTER (WHERE status = 'going') AS going,
                       count(*) FILTER (WHERE status = 'interested') AS interested,
                       count(*) FILTER (WHERE status = 'maybe') AS maybe
                FROM event_attendance WHERE event_id = e.id) a
            WHERE e.id = \(event)
            """) else { return nil }
        let (capacity, going, interested, maybe) = try row.decode((Int32?, Int64, Int64, Int64).self)
        return CapacityCounts(event: event, going: Int(going), interested: Int(interested), maybe: Int(maybe),
                              capacity: capacity.map(Int.init))
    }

    public func eventDetails(_ event: UUID) async throws -> EventDetails? {
        guard let row = try await firstRow(events, """
            SELECT title, date_time, end_time, location_name, location_address, COALESCE(is_active, true),
                   COALESCE(visibility, CASE WHEN created_by_user_id IS NULL THEN 'public' ELSE 'private' END),
                   created_by_user_id
            FROM events WHERE id = \(event)
            """) else { return nil }
        let (title, startsAt, endsAt, locationName, locationAddress, active, visibility, creator) = try row.decode(
            (String, Date?, Date?, String, String?, Bool, String, UUID?).self)
        return EventDetails(id: event, title: title, startsAt: startsAt, endsAt: endsAt, locationName: locationName,
                            locationAddress: locationAddress, isActive: active,
                            visibility: ItemVisibility(storedValue: visibility), creator: creator)
    }

    public func plan(_ plan: UUID) async throws -> PlanRecord? {
        guard let row = try await firstRow(users, """
            SELECT title, organizer_id, status, event_id, group_id, start_time FROM plans WHERE id = \(plan)
            """) else { return nil }
        let (title, organizer, status, event, group, startsAt) = try row.decode(
            (String, UUID, String, UUID?, UUID?, Date?).self)
        return PlanRecord(id: plan, title: title, organizer: organizer, status: status, event: event, group: group,
                          startsAt: startsAt)
    }

    public func relationships(towards user: UUID) async throws -> [UUID: Relationship] {
        let rows = try await users.query("""
            SELECT other, status, initiated_by = other FROM (
                SELECT CASE WHEN user_id = \(user) THEN friend_id ELSE user_id END AS other, status, initiated_by
                FROM friendships WHERE user_id = \(user) OR friend_id = \(user)) f
            """, logger: logger)
        var edges: [UUID: [FriendshipEdge]] = [:]
        for try await (other, status, otherInitiated) in rows.decode((UUID, String?, Bool).self) {
            // An unknown status is treated as a block: fail closed.
            let known = status.flatMap(FriendshipStatus.init(rawValue:)) ?? .blocked
            edges[other, default: []].append(FriendshipEdge(status: known, viewerInitiated: otherInitiated))
        }
        return edges.mapValues { Relationship.between(edges: $0) }
    }

    func firstRow(_ client: PostgresClient, _ query: PostgresQuery) async throws -> PostgresRow? {
        try await client.query(query, logger: logger).collect().first
    }

    /// Every row of `query` decoded by `decode`, in order.
    func rows<Element>(_ client: PostgresClient, _ query: PostgresQuery,
                       _ decode: (PostgresRow) throws -> Element) async throws -> [Element] {
        var result: [Element] = []
        for try await row in try await client.query(query, logger: logger) {
            result.append(try decode(row))
        }
        return result
    }
}

/// Notifications and chat messages (both in the user database).
extension PostgresLiveStore {
    static let notificationColumns = """
        id, user_id, type, title, message, COALESCE(data, '{}')::TEXT, COALESCE(is_read, false),
        COALESCE(created_at, 'epoch'::TIMESTAMP)
        """
    static let messageColumns = "id, group_id, user_id, body, metadata::TEXT, created_at"

    public func notification(_ id: UUID) async throws -> NotificationRecord? {
        try await firstRow(users, "SELECT \(unescaped: Self.notificationColumns) FROM notifications WHERE id = \(id)")
            .map(Self.notificationRecord)
    }

    public func unreadNotifications(of user: UUID, limit: Int) async throws -> [NotificationRecord] {
        let newestFirst = try await rows(users, """
            SELECT \(unescaped: Self.notificationColumns) FROM notifications
            WHERE user_id = \(user) AND is_read IS NOT TRUE
            ORDER BY created_at DESC NULLS LAST, id DESC LIMIT \(max(0, limit))
            """, Self.notificationRecord)
        return newestFirst.reversed()
    }

    /// One INSERT: the table's BEFORE trigger serialises writers of the group and draws the id after its lock,
    /// so ids grow in commit order (`Migrations.groupMessageOrderFunction`).
    public func storeMessage(_ message: NewMessage) async throws -> StoredMessage {
        let stored = try await firstRow(users, """
            INSERT INTO group_messages (group_id, user_id, body, metadata)
            VALUES (\(message.group), \(message.user), \(message.body), \(message.metadataJSON)::JSONB)
            RETURNING \(unescaped: Self.messageColumns)
            """).map(Self.storedMessage)
        guard let stored else { throw MissingRowError(table: "group_messages", id: message.group) }
        return stored
    }

    public func message(_ id: Int64) async throws -> StoredMessage? {
        try await firstRow(users, "SELECT \(unescaped: Self.messageColumns) FROM group_messages WHERE id = \(id)")
            .map(Self.storedMessage)
    }

    public func messages(group: UUID, after afterID: Int64, limit: Int) async throws -> [StoredMessage] {
        try await rows(users, """
            SELECT \(unescaped: Self.messageColumns) FROM group_messages
            WHERE group_id = \(group) AND id > \(afterID) ORDER BY id LIMIT \(max(0, limit))
            """, Self.storedMessage)
    }

    public func messages(group: UUID, since: Date, limit: Int) async throws -> [StoredMessage] {
        let newestFirst = try await rows(users, """
            SELECT \(unescaped: Self.messageColumns) FROM group_messages
            WHERE group_id = \(group) AND created_at >= \(since) ORDER BY id DESC LIMIT \(max(0, limit))
            """, Self.storedMessage)
        return newestFirst.reversed()
    }

    public func latestMessageID(group: UUID) async throws -> Int64 {
        try await firstRow(users, "SELECT COALESCE(max(id), 0) FROM group_messages WHERE group_id = \(group)")?
            .decode(Int64.self) ?? 0
    }

    static func notificationRecord(_ row: PostgresRow) throws -> NotificationRecord {
        let (id, user, type, title, message, data, isRead, createdAt) = try row.decode(
            (UUID, UUID, String, String, String, String, Bool, Date).self)
        return NotificationRecord(id: id, user: user, type: type, title: title, message: message, dataJSON: data,
                                  isRead: isRead, createdAt: createdAt)
    }

    static func storedMessage(_ row: PostgresRow) throws -> StoredMessage {
        let (id, group, user, body, metadata, createdAt) = try row.decode(
            (Int64, UUID, UUID?, String, String, Date).self)
        return StoredMessage(id: id, group: group, user: user, body: body, metadataJSON: metadata,
                             createdAt: createdAt)
    }
}
