import Foundation
import RallyDirectory
import RallyProtocol

/// A `postgres_changes` filter, `column=op.value` (Supabase's `eq, neq, lt, lte, gt, gte` and `in.(a,b,…)`),
/// checked against the column's type when parsed and matched against a row's JSON (`to_jsonb`) value.
public struct RowFilter: Sendable, Hashable {
    public enum Operator: String, Sendable, CaseIterable {
        case eq, neq, lt, lte, gt, gte, `in`
    }

    public var column: String
    public var op: Operator
    public var values: [String]
    let kind: ValueKind

    /// Most values an `in` list may hold (Supabase's limit).
    public static let maxInValues = 100

    /// Parses `column=op.value` for a column of `table`; the error says what cannot be honoured.
    public static func parse(_ text: String, table: ServedTable) -> Result<RowFilter, BindingRefusal> {
        guard let equals = text.firstIndex(of: "=") else {
            return .failure(.init("filter \(text) is not column=operator.value"))
        }
        let column = String(text[..<equals])
        let rest = text[text.index(after: equals)...]
        guard let dot = rest.firstIndex(of: "."), let op = Operator(rawValue: String(rest[..<dot])) else {
            return .failure(.init("filter \(text): the operators served are eq, neq, lt, lte, gt, gte, in"))
        }
        guard let type = table.type(of: column) else {
            let names = table.keyColumns.map(\.name).joined(separator: ", ")
            return .failure(.init("filter on \(table.name).\(column): the columns that can be filtered are \(names)"))
        }
        let kind = ValueKind(postgresType: type)
        let literal = String(rest[rest.index(after: dot)...])
        let values = op == .in ? inList(literal) : [literal]
        guard let values, !values.isEmpty, values.count <= maxInValues else {
            return .failure(.init("filter \(text): in takes (value,…) with 1 to \(maxInValues) values"))
        }
        if [.lt, .lte, .gt, .gte].contains(op), kind == .bool {
            return .failure(.init("filter \(text): \(op.rawValue) cannot compare a boolean"))
        }
        guard values.allSatisfy({ kind.canParse($0) }) else {
            return .failure(.init("filter \(text): not a valid \(type) value"))
        }
        return .success(RowFilter(column: column, op: op, values: values, kind: kind))
    }

    /// Whether the row's value of the column passes; a missing or null value never does (as SQL's comparisons).
    public func matches(_ row: JSONObject) -> Bool {
        guard let value = row[column], let cell = ValueKind.text(of: value) else { return false }
        switch op {
        case .eq: return kind.compare(cell, values[0]) == .orderedSame
        case .neq: return kind.compare(cell, values[0]).map { $0 != .orderedSame } ?? false
        case .lt: return kind.compare(cell, values[0]) == .orderedAscending
        case .lte: return kind.compare(cell, values[0]).map { $0 != .orderedDescending } ?? false
        case .gt: return kind.compare(cell, values[0]) == .orderedDescending
        case .gte: return kind.compare(cell, values[0]).map { $0 != .orderedAscending } ?? false
        case .in: return values.contains { kind.compare(cell, $0) == .orderedSame }
        }
    }

    /// `(a,b,"c,d")` → its values (double quotes around a value are removed); nil when not parenthesised.
    static func inList(_ literal: String) -> [String]? {
        guard literal.hasPrefix("("), literal.hasSuffix(")"), literal.count >= 2 else { return nil }
        var values: [String] = []
        var current = ""
        var quoted = false
        for character in literal.dropFirst().dropLast() {
            switch character {
            case "\"": quoted.toggle()
            case "," where !quoted:
                values.append(current)
                current = ""
            default: current.append(character)
            }
        }
        values.append(current)
        return quoted ? nil : values.map { $0.trimmingCharacters(in: .whitespaces) }
    }
}

/// Why a `postgres_changes` entry cannot be served.
public struct BindingRefusal: Error, Sendable, Hashable {
    public var detail: String
    public init(_ detail: String) { self.detail = detail }

    /// The join's error reason (Supabase's wording, then what is wrong).
    public var reason: String {
        "PostgresChangesUnsupported: Unable to subscribe to changes with given parameters: \(detail)"
    }
}
