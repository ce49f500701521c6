import Foundation
import PostgresNIO

extension PostgresLiveStore: RowReader {
    public func row(of table: ServedTable, id: String) async throws -> String? {
        guard ServedTable.all[table.name] != nil else { return nil }
        let client = table.database == .events ? events : users
        // The table name comes from the fixed list above, never from a client.
        let query = PostgresQuery(unsafeSQL: "SELECT to_jsonb(t)::TEXT FROM \(table.name) t WHERE t.id::TEXT = $1",
                                  binds: try Self.binds(id))
        return try await firstRow(client, query)?.decode(String.self)
    }

    public func columns(of table: ServedTable) async throws -> [(name: String, type: String)] {
        let client = table.database == .events ? events : users
        return try await rows(client, """
            SELECT a.attname::TEXT, t.typname::TEXT FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
            WHERE a.attrelid = to_regclass(\(table.name)) AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum
            """) { row in try row.decode((String, String).self) }
    }

    private static func binds(_ id: String) throws -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(id)
        return binds
    }
}
