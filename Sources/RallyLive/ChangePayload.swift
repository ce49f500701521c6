import RallyDirectory
import RallyProtocol

/// The `postgres_changes` push as supabase/realtime sends it to v1 and v2 clients:
/// `{"ids": [<binding id>…], "data": {schema, table, commit_timestamp, type, columns, record?, old_record?,
/// errors}}`. `record` is left out of a DELETE and `old_record` of an INSERT (realtime-py refuses a null).
enum ChangePayload {
    static let event = "postgres_changes"

    /// `select`: the columns asked for (with `id`, the primary key), nil for all.
    static func make(ids: [Int], change: RowChange, columns: [(name: String, type: String)], record: JSONObject?,
                     oldRecord: JSONObject?, select: Set<String>? = nil) -> JSON {
        let kept = select.map { $0.union(["id"]) }
        func cut(_ row: JSONObject) -> JSONObject {
            guard let kept else { return row }
            return JSONObject(row.fields.filter { kept.contains($0.key) })
        }
        let columns = columns.filter { kept?.contains($0.name) ?? true }
        var data: JSONObject = [
            "schema": .string("public"),
            "table": .string(change.table),
            "commit_timestamp": .string(change.commitTimestamp),
            "type": .string(change.operation.rawValue.uppercased()),
            "columns": .array(columns.map { .object(["name": .string($0.name), "type": .string($0.type)]) }),
        ]
        if change.operation != .delete, let record { data["record"] = .object(cut(record)) }
        if change.operation != .insert, let oldRecord { data["old_record"] = .object(cut(oldRecord)) }
        data["errors"] = .null
        return .object(["ids": .array(ids.map { .int($0) }), "data": .object(data)])
    }

    /// What a subscriber who may not see the old row gets of it: its primary key (as Supabase's DELETE
    /// `old_record` under row level security).
    static func primaryKey(of row: JSONObject) -> JSONObject {
        var key = JSONObject()
        if let id = row["id"] { key["id"] = id }
        return key
    }
}
