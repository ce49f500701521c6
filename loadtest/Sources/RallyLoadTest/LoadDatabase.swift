import Foundation
import NIOCore
import PostgresNIO

/// The generator's own Postgres connection (`--database-url`, the database a Rally node serves with
/// `RALLY_DATABASE_URL`, users and events in one database): it creates the users, groups, friendships and events a
/// live scenario needs, and commits the writes whose delivery is measured. One connection, statements in
/// autocommit, so every write is its own transaction and commits complete in order.
final class LoadDatabase: Sendable {
    let connection: PostgresConnection
    private let logger: Logger
    /// Rows per bulk statement.
    private static let chunk = 5000

    private init(connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    /// Connects to `postgres://user:password@host:port/database` (loopback; TLS is not used).
    static func connect(url text: String, on loop: EventLoop) async throws -> LoadDatabase {
        guard let url = URLComponents(string: text), ["postgres", "postgresql"].contains(url.scheme ?? ""),
              let host = url.host, let user = url.user
        else { throw LoadTestError("--database-url must look like postgres://user:password@127.0.0.1:5432/database") }
        let database = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        let configuration = PostgresConnection.Configuration(
            host: host, port: url.port ?? 5432, username: user.removingPercentEncoding ?? user,
            password: url.password.map { $0.removingPercentEncoding ?? $0 },
            database: database.isEmpty ? nil : database, tls: .disable)
        var logger = Logger(label: "rally-loadtest.postgres")
        logger.logLevel = .warning
        let connection = try await PostgresConnection.connect(on: loop, configuration: configuration, id: 1, logger: logger)
        return LoadDatabase(connection: connection, logger: logger)
    }

    func close() async {
        try? await connection.close()
    }

    /// Users with the given ids (`privacy_level` as given), emails `<id>@loadtest.invalid`.
    func createUsers(_ ids: [UUID], privacy: String) async throws {
        for part in Self.chunks(ids) {
            try await connection.query("""
                INSERT INTO users (id, email, full_name, privacy_level)
                SELECT u, u::text || '@loadtest.invalid', 'loadtest', \(privacy) FROM unnest(\(part)::uuid[]) AS u
                """, logger: logger)
        }
    }

    /// A catalogue event (no creator) of the given visibility, a week ahead.
    func createEvent(_ id: UUID, title: String, capacity: Int?, visibility: String = "public") async throws {
        let capacity = capacity.map(Int32.init)
        try await connection.query("""
            INSERT INTO events (id, title, date_time, location_name, category, source, capacity, visibility)
            VALUES (\(id), \(title), NOW() + INTERVAL '7 days', 'Loadtest Hall', 'social', 'loadtest', \(capacity),
                    \(visibility))
            """, logger: logger)
    }

    /// Attendance rows `going` for `users` at `event`, in bulk (the seeded count before a run).
    func seedAttendance(event: UUID, users: [UUID]) async throws {
        for part in Self.chunks(users) {
            try await connection.query("""
                INSERT INTO event_attendance (user_id, event_id, status, visibility)
                SELECT u, \(event), 'going', 'public' FROM unnest(\(part)::uuid[]) AS u
                """, logger: logger)
        }
    }

    /// One RSVP, committed on its own; returns when the commit is acknowledged.
    func commitRSVP(user: UUID, event: UUID, status: String = "going", visibility: String = "public") async throws {
        try await connection.query("""
            INSERT INTO event_attendance (user_id, event_id, status, visibility)
            VALUES (\(user), \(event), \(status), \(visibility))
            """, logger: logger)
    }

    /// A notification row for `user` (the change-feed barrier's probe).
    func insertNotification(user: UUID, title: String) async throws {
        try await connection.query("""
            INSERT INTO notifications (user_id, type, title, message) VALUES (\(user), 'loadtest', \(title), 'barrier')
            """, logger: logger)
    }

    /// A private group created by its first member, with every member in `group_members`.
    func createGroup(_ id: UUID, members: [UUID]) async throws {
        guard let creator = members.first else { return }
        try await connection.query("""
            INSERT INTO groups (id, name, created_by, privacy_level, max_members)
            VALUES (\(id), 'loadtest', \(creator), 'private', \(Int32(members.count)))
            """, logger: logger)
        try await connection.query("""
            INSERT INTO group_members (group_id, user_id) SELECT \(id), u FROM unnest(\(members)::uuid[]) AS u
            """, logger: logger)
    }

    /// Accepted friendships, one row per pair (`initiated_by` = the first of the pair).
    func createFriendships(_ pairs: [(UUID, UUID)]) async throws {
        var start = 0
        while start < pairs.count {
            let part = pairs[start..<min(start + Self.chunk, pairs.count)]
            let users = part.map(\.0)
            let friends = part.map(\.1)
            try await connection.query("""
                INSERT INTO friendships (user_id, friend_id, status, initiated_by)
                SELECT u, f, 'accepted', u FROM unnest(\(users)::uuid[], \(friends)::uuid[]) AS p(u, f)
                """, logger: logger)
            start += Self.chunk
        }
    }

    /// Removes what a run created: the events (their attendance cascades) and the users (their memberships,
    /// friendships and groups' rows cascade or are removed first).
    func cleanUp(users: [UUID], events: [UUID], groups: [UUID]) async throws {
        if !groups.isEmpty { try await connection.query("DELETE FROM groups WHERE id = ANY(\(groups)::uuid[])", logger: logger) }
        if !events.isEmpty { try await connection.query("DELETE FROM events WHERE id = ANY(\(events)::uuid[])", logger: logger) }
        for part in Self.chunks(users) {
            try await connection.query("DELETE FROM event_attendance WHERE user_id = ANY(\(part)::uuid[])", logger: logger)
            try await connection.query("DELETE FROM users WHERE id = ANY(\(part)::uuid[])", logger: logger)
        }
    }

    private static func chunks(_ ids: [UUID]) -> [[UUID]] {
        stride(from: 0, to: ids.count, by: chunk).map { Array(ids[$0..<min($0 + chunk, ids.count)]) }
    }
}

extension UUID {
    /// Lower case, as Rally's topics and tokens use it.
    var lowercased: String { uuidString.lowercased() }
}
