import Foundation
import PostgresNIO

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
