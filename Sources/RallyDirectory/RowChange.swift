import Foundation

/// One row of a table Rally serves as `postgres_changes` (docs/live-data.md), as its NOTIFY trigger sent it
/// (`Migrations.rowChangesUsers`, `Migrations.rowChangesEvents`). The rows travel as JSON text (`to_jsonb`).
public struct RowChange: Sendable, Hashable {
    public var table: String
    public var operation: ChangeOperation
    /// The writing transaction's time, UTC, `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    public var commitTimestamp: String
    /// The new row (INSERT, UPDATE); nil on DELETE.
    public var record: String?
    /// The old row (UPDATE, DELETE); nil on INSERT.
    public var oldRecord: String?
    /// True when the rows were too large for NOTIFY and carry only the table's key columns: the new row is read
    /// back by id, the old one stays cut down.
    public var partial: Bool

    public init(table: String, operation: ChangeOperation, commitTimestamp: String, record: String?,
                oldRecord: String?, partial: Bool = false) {
        self.table = table
        self.operation = operation
        self.commitTimestamp = commitTimestamp
        self.record = record
        self.oldRecord = oldRecord
        self.partial = partial
    }
}

/// A table served as `postgres_changes`: where it lives and the columns that always travel in its NOTIFY (its
/// key columns: the primary key, the ids and flags the privacy rules read, and what a filter may name).
public struct ServedTable: Sendable, Hashable {
    public var name: String
    public var database: MigrationDatabase
    /// Column name → Postgres type name (`uuid`, `varchar`, `int4`, `bool`, `timestamp`, `timestamptz`, `int8`).
    public var keyColumns: [(name: String, type: String)]

    public static func == (a: ServedTable, b: ServedTable) -> Bool { a.name == b.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }

    public func type(of column: String) -> String? {
        keyColumns.first { $0.name == column }?.type
    }

    /// The tables Rally serves, by name.
    public static let all: [String: ServedTable] = Dictionary(uniqueKeysWithValues: [
        ServedTable(name: "event_attendance", database: .events, keyColumns: [
            ("id", "uuid"), ("user_id", "uuid"), ("event_id", "uuid"), ("status", "varchar"),
            ("visibility", "varchar"), ("group_id", "uuid"), ("created_at", "timestamp"),
            ("updated_at", "timestamp")]),
        ServedTable(name: "events", database: .events, keyColumns: [
            ("id", "uuid"), ("created_by_user_id", "uuid"), ("visibility", "varchar"), ("is_active", "bool"),
            ("category", "varchar"), ("date_time", "timestamp"), ("end_time", "timestamp"),
            ("capacity", "int4"), ("neighborhood", "varchar"), ("source", "varchar")]),
        ServedTable(name: "group_messages", database: .users, keyColumns: [
            ("id", "int8"), ("group_id", "uuid"), ("user_id", "uuid"), ("created_at", "timestamptz")]),
        ServedTable(name: "plans", database: .users, keyColumns: [
            ("id", "uuid"), ("organizer_id", "uuid"), ("event_id", "uuid"), ("group_id", "uuid"),
            ("status", "varchar"), ("start_time", "timestamp")]),
        ServedTable(name: "plan_participants", database: .users, keyColumns: [
            ("id", "uuid"), ("plan_id", "uuid"), ("user_id", "uuid"), ("status", "varchar")]),
    ].map { ($0.name, $0) })
}

/// Reads served rows back (a row too large for NOTIFY) and a table's columns (the `columns` of a change).
public protocol RowReader: Sendable {
    /// The row with this primary key as `to_jsonb` text; nil when it is gone.
    func row(of table: ServedTable, id: String) async throws -> String?
    /// The table's columns in order, with their Postgres type names.
    func columns(of table: ServedTable) async throws -> [(name: String, type: String)]
}
