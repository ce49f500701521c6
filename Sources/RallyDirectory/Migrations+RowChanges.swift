extension Migrations {
    /// `postgres_changes` of the served tables (`ServedTable.all`), users side: every INSERT, UPDATE and DELETE
    /// sends `{kind: "row", op, table, commit_timestamp, record?, old_record?}` on `rally_changes`, the rows as
    /// `to_jsonb` text; a payload past `inlinePayloadLimit` carries only the key columns and `partial: true`.
    static let rowChangesUsers = Migration(version: "009_row_changes_users", database: .users,
                                           statements: [rowChangedFunction] + rowTriggers(for: .users))

    /// The same for the events side.
    static let rowChangesEvents = Migration(version: "010_row_changes_events", database: .events,
                                            statements: [rowChangedFunction] + rowTriggers(for: .events))

    static func rowTriggers(for database: MigrationDatabase) -> [String] {
        ServedTable.all.values.filter { $0.database == database }.sorted { $0.name < $1.name }.flatMap { table in
            let name = "rally_row_changed_\(table.name)"
            let keys = table.keyColumns.map { "'\($0.name)'" }.joined(separator: ", ")
            return [
                "DROP TRIGGER IF EXISTS \(name) ON \(table.name)",
                """
                CREATE TRIGGER \(name) AFTER INSERT OR UPDATE OR DELETE ON \(table.name)
                FOR EACH ROW EXECUTE FUNCTION rally_row_changed(\(keys))
                """,
            ]
        }
    }

    /// The trigger function; its arguments are the table's key columns.
    static let rowChangedFunction = """
        CREATE OR REPLACE FUNCTION rally_row_changed() RETURNS TRIGGER LANGUAGE plpgsql AS $$
        DECLARE
            head JSONB;
            whole JSONB;
            new_row JSONB;
            old_row JSONB;
        BEGIN
            IF TG_OP = 'UPDATE' AND OLD IS NOT DISTINCT FROM NEW THEN RETURN NULL; END IF;
            head := jsonb_build_object('kind', 'row', 'op', lower(TG_OP), 'table', TG_TABLE_NAME,
                'commit_timestamp', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'));
            IF TG_OP <> 'DELETE' THEN new_row := to_jsonb(NEW); END IF;
            IF TG_OP <> 'INSERT' THEN old_row := to_jsonb(OLD); END IF;
            whole := head || jsonb_strip_nulls(jsonb_build_object('record', new_row::TEXT,
                                                                  'old_record', old_row::TEXT));
            IF octet_length(whole::TEXT) >= \(inlinePayloadLimit) THEN
                whole := head || jsonb_strip_nulls(jsonb_build_object('partial', true,
                    'record', (SELECT jsonb_object_agg(k, new_row -> k) FROM unnest(TG_ARGV) k
                               WHERE new_row IS NOT NULL)::TEXT,
                    'old_record', (SELECT jsonb_object_agg(k, old_row -> k) FROM unnest(TG_ARGV) k
                                   WHERE old_row IS NOT NULL)::TEXT));
            END IF;
            PERFORM pg_notify('rally_changes', whole::TEXT);
            RETURN NULL;
        END $$
        """
}
