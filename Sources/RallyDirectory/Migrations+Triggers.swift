extension Migrations {
    /// `rally_notify(kind, op, fields)`: sends `{"kind", "op", …fields}` on channel `rally_changes`.
    /// Payloads carry ids and kinds (far below NOTIFY's 8000-byte limit); Rally re-reads the rest. Notifications
    /// and chat messages also carry their row when it fits (`Migrations.liveDataUsers`).
    static let notifyFunction = """
        CREATE OR REPLACE FUNCTION rally_notify(kind TEXT, op TEXT, fields JSONB) RETURNS VOID
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('rally_changes', (jsonb_build_object('kind', kind, 'op', lower(op)) || fields)::TEXT);
        END $$
        """

    /// A row trigger function: `body` runs with `r` = the new row (the old one on DELETE) and `TG_OP`, and may
    /// `RETURN NULL` early to skip a change that does not matter. An UPDATE that moves a row to another key is
    /// reported as a delete of the old key and an insert of the new one.
    static func triggerFunction(_ name: String, key: String = "", body: String) -> String {
        let moved = key.isEmpty ? "" : """
                IF TG_OP = 'UPDATE' AND (\(key.replacingOccurrences(of: "$", with: "OLD."))) IS DISTINCT FROM
                   (\(key.replacingOccurrences(of: "$", with: "NEW."))) THEN
                    r := OLD; op := 'DELETE';
                    \(body)
                    r := NEW; op := 'INSERT';
                    \(body)
                    RETURN NULL;
                END IF;
            """
        return """
            CREATE OR REPLACE FUNCTION \(name)() RETURNS TRIGGER LANGUAGE plpgsql AS $$
            DECLARE
                r RECORD;
                op TEXT := TG_OP;
            BEGIN
                IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
            \(moved)
                \(body)
                RETURN NULL;
            END $$
            """
    }

    /// Drops and creates the row trigger `name` (running function `name`) on `table` for `events`.
    static func trigger(_ name: String, on table: String, events: String) -> [String] {
        [
            "DROP TRIGGER IF EXISTS \(name) ON \(table)",
            "CREATE TRIGGER \(name) AFTER \(events) ON \(table) FOR EACH ROW EXECUTE FUNCTION \(name)()",
        ]
    }

    /// `IF op = 'UPDATE' AND <columns unchanged> THEN RETURN NULL; END IF;`
    static func skipUnchanged(_ columns: [String]) -> String {
        let old = columns.map { "OLD.\($0)" }.joined(separator: ", ")
        let new = columns.map { "NEW.\($0)" }.joined(separator: ", ")
        return "IF op = 'UPDATE' AND ROW(\(old)) IS NOT DISTINCT FROM ROW(\(new)) THEN RETURN NULL; END IF;"
    }
}
