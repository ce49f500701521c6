import Foundation
import XCTest

/// One table of docs/privacy.md marked `<!-- matrix: name -->`: column headers (after the row label column)
/// and rows of cells.
struct Matrix {
    var name: String
    var columns: [String]
    var rows: [(label: String, cells: [String])]

    var rowLabels: [String] { rows.map(\.label) }

    func cell(row: String, column: String) -> String? {
        guard let columnIndex = columns.firstIndex(of: column),
              let found = rows.first(where: { $0.label == row }) else { return nil }
        return found.cells[columnIndex]
    }

    /// Every (row, column, cell) of the table.
    var entries: [(row: String, column: String, cell: String)] {
        rows.flatMap { row in zip(columns, row.cells).map { (row.label, $0.0, $0.1) } }
    }
}

/// Reads docs/privacy.md, the rule book the tests check the code against.
enum MatrixDocument {
    static let url = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/privacy.md")

    static func load() throws -> [String: Matrix] {
        let text = try String(contentsOf: url, encoding: .utf8)
        return try parse(text)
    }

    static func matrix(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> Matrix {
        let all = try load()
        return try XCTUnwrap(all[name], "docs/privacy.md has no table marked `<!-- matrix: \(name) -->`",
                             file: file, line: line)
    }

    static func parse(_ text: String) throws -> [String: Matrix] {
        var result: [String: Matrix] = [:]
        let lines = text.components(separatedBy: "\n")
        for (index, line) in lines.enumerated() {
            guard let name = markerName(line) else { continue }
            let table = lines[(index + 1)...].drop(while: { $0.trimmingCharacters(in: .whitespaces).isEmpty })
                .prefix(while: { $0.hasPrefix("|") })
            result[name] = try makeMatrix(name: name, lines: Array(table))
        }
        return result
    }

    private static func markerName(_ line: String) -> String? {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("<!-- matrix:"), trimmed.hasSuffix("-->") else { return nil }
        return trimmed.dropFirst("<!-- matrix:".count).dropLast(3).trimmingCharacters(in: .whitespaces)
    }

    private static func makeMatrix(name: String, lines: [String]) throws -> Matrix {
        struct BadTable: Error, CustomStringConvertible { var description: String }
        guard lines.count >= 3 else { throw BadTable(description: "table \(name) has no rows") }
        let header = cells(of: lines[0])
        var rows: [(String, [String])] = []
        for line in lines.dropFirst(2) {
            let row = cells(of: line)
            guard row.count == header.count else {
                throw BadTable(description: "table \(name): row \(line) has \(row.count) cells, not \(header.count)")
            }
            rows.append((row[0], Array(row.dropFirst())))
        }
        return Matrix(name: name, columns: Array(header.dropFirst()), rows: rows)
    }

    private static func cells(of line: String) -> [String] {
        line.split(separator: "|", omittingEmptySubsequences: false)
            .dropFirst().dropLast()
            .map { $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "`", with: "") }
    }
}
