import Logging
import PostgresNIO

/// Which database a migration belongs to (seed 000 keeps private user data and the public catalogue apart).
public enum MigrationDatabase: String, Sendable, Hashable {
    /// users, friendships, groups, group_members, plans, plan_participants, notifications, group_messages.
    case users
    /// events, event_attendance.
    case events
    /// Only when both are one database: the foreign keys between them.
    case both
}

/// Where `Migrations.apply` runs: one database holding everything, or one side of a split.
public enum MigrationTarget: String, Sendable, Hashable, CaseIterable {
    case combined, users, events

    func includes(_ database: MigrationDatabase) -> Bool {
        switch self {
        case .combined: return true
        case .users: return database == .users
        case .events: return database == .events
        }
    }
}

/// One schema step: statements run in one transaction, recorded by version in `rally_schema_migrations`.
public struct Migration: Sendable, Hashable {
    public var version: String
    public var database: MigrationDatabase
    public var statements: [String]
}

/// The schema Rally reads and the triggers that tell it about changes (docs/privacy.md lists tables, columns
/// and payloads). `rally migrate` runs `apply`.
public enum Migrations {
    /// Every migration in order.
    public static let all: [Migration] = [usersSchema, eventsSchema, crossDatabaseKeys, usersTriggers, eventsTriggers,
                                          liveDataUsers, liveDataEvents, chatDeleteAuthor,
                                          rowChangesUsers, rowChangesEvents]

    /// Key of the advisory lock that serialises concurrent `apply` runs (several nodes starting at once).
    static let lockKey: Int64 = 0x5241_4C4C_5953_514C

    public static func migrations(for target: MigrationTarget) -> [Migration] {
        all.filter { target.includes($0.database) }
    }

    /// The migrations as one SQL script (for `psql -f`, or to review).
    public static func sqlScript(for target: MigrationTarget = .combined) -> String {
        migrations(for: target).map { migration in
            "-- \(migration.version)\n" + migration.statements.map { $0 + ";\n" }.joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// Applies the migrations not yet recorded, each in its own transaction under an advisory lock; idempotent.
    /// The client must be running (`PostgresClient.run()`). Returns the versions applied now.
    @discardableResult
    public static func apply(on client: PostgresClient, target: MigrationTarget = .combined,
                             logger: Logger = Logger(label: "rally.migrations")) async throws -> [String] {
        var applied: [String] = []
        for migration in migrations(for: target) {
            if try await apply(migration, on: client, logger: logger) {
                logger.info("applied migration", metadata: ["version": "\(migration.version)"])
                applied.append(migration.version)
            }
        }
        return applied
    }

    /// The versions recorded in the database, in order.
    public static func appliedVersions(on client: PostgresClient) async throws -> [String] {
        let exists = try await client.query("SELECT to_regclass('rally_schema_migrations') IS NOT NULL")
            .collect().first?.decode(Bool.self) ?? false
        guard exists else { return [] }
        var versions: [String] = []
        for try await version in try await client.query(
            "SELECT version FROM rally_schema_migrations ORDER BY version").decode(String.self) {
            versions.append(version)
        }
        return versions
    }

    private static func apply(_ migration: Migration, on client: PostgresClient, logger: Logger) async throws -> Bool {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS rally_schema_migrations (
                    version TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT NOW())
                """, logger: logger)
            let done = try await connection.query(
                "SELECT 1 FROM rally_schema_migrations WHERE version = \(migration.version)", logger: logger)
                .collect()
            guard done.isEmpty else { return false }
            for statement in migration.statements {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            try await connection.query(
                "INSERT INTO rally_schema_migrations (version) VALUES (\(migration.version))", logger: logger)
            return true
        }
    }
}
