import RallyDirectory
import RallyProtocol

/// One `postgres_changes` entry of a join, checked against the tables Rally serves: the id of the join reply
/// (`Replies.postgresChangesID`), which changes of which table, and the optional filter.
public struct ChangeBinding: Sendable, Hashable {
    public var id: Int
    /// nil: every operation (`*`).
    public var operation: ChangeOperation?
    public var table: ServedTable
    public var filter: RowFilter?
    /// `select`: the columns the client wants (the primary key always comes too); nil for all.
    public var select: [String]? = nil

    /// Whether a change of `table` by `operation` on `row` (the new row; the old one for a DELETE) is wanted.
    public func wants(_ operation: ChangeOperation, of table: String, row: JSONObject) -> Bool {
        guard table == self.table.name, self.operation == nil || self.operation == operation else { return false }
        return filter?.matches(row) ?? true
    }

    /// The bindings of a join's entries (an entry without a table stands for every served table), or why one
    /// cannot be served.
    public static func parse(_ entries: [JSONObject]) -> Result<[ChangeBinding], BindingRefusal> {
        var bindings: [ChangeBinding] = []
        for entry in entries {
            switch parse(entry) {
            case .success(let parsed): bindings += parsed
            case .failure(let refusal): return .failure(refusal)
            }
        }
        return .success(bindings)
    }

    static func parse(_ entry: JSONObject) -> Result<[ChangeBinding], BindingRefusal> {
        let id = Replies.postgresChangesID(entry)
        guard let event = entry["event"]?.stringValue, let operation = operations[event.uppercased()] else {
            return .failure(.init("event must be *, INSERT, UPDATE or DELETE"))
        }
        guard let schema = entry["schema"]?.stringValue, schema == "public" else {
            return .failure(.init("only schema public is served"))
        }
        let tableName = entry["table"]?.stringValue ?? "*"
        let filterText = entry["filter"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        var select: [String]?
        if let columns = entry["select"], !columns.isNull {
            select = columns.arrayValue?.compactMap(\.stringValue)
            guard let chosen = select, chosen.count == columns.arrayValue?.count, !chosen.isEmpty else {
                return .failure(.init("select must be a list of column names"))
            }
        }
        if tableName == "*" {
            guard filterText == nil else { return .failure(.init("a filter needs a table")) }
            return .success(ServedTable.all.values.sorted { $0.name < $1.name }.map {
                ChangeBinding(id: id, operation: operation, table: $0, filter: nil, select: select)
            })
        }
        guard let table = ServedTable.all[tableName] else {
            let served = ServedTable.all.keys.sorted().joined(separator: ", ")
            return .failure(.init("table \(tableName) is not served (served: \(served))"))
        }
        guard let filterText else {
            return .success([ChangeBinding(id: id, operation: operation, table: table, filter: nil, select: select)])
        }
        return RowFilter.parse(filterText, table: table).map {
            [ChangeBinding(id: id, operation: operation, table: table, filter: $0, select: select)]
        }
    }

    /// `*` → every operation (nil); `INSERT`, `UPDATE`, `DELETE` in any letter case (as the clients match them).
    private static let operations: [String: ChangeOperation?] = [
        "*": nil, "INSERT": .insert, "UPDATE": .update, "DELETE": .delete,
    ]
}
