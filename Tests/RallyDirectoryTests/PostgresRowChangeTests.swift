import Foundation
import PostgresNIO
import RallyDirectory
import XCTest

/// What the `postgres_changes` triggers (009, 010) send on `rally_changes`: whole rows as JSON text, only the key
/// columns (and `partial`) when the payload would be too large, nothing for an UPDATE that changes nothing; and
/// the reads Rally does for them (a row back by id, a table's columns).
final class PostgresRowChangeTests: XCTestCase {
    typealias F = ContractFixture
    private var harness: PostgresHarness?

    override func tearDown() async throws {
        try await harness?.tearDown()
        harness = nil
    }

    func testRowsTravelWholeOrByTheirKeyColumns() async throws {
        let made = try await PostgresHarness.make(seed: ContractFixture.seed)
        harness = made
        let client = made.database.client
        let long = String(repeating: "x", count: 9000)
        let payloads = try await RawNotifications.collect(on: made.database, count: 3, rows: true) {
            try await client.query("""
                INSERT INTO group_messages (group_id, user_id, body) VALUES (\(F.privateGroup), \(F.v), 'short')
                """)
            try await client.query("UPDATE group_messages SET body = body WHERE body = 'short'")
            try await client.query("""
                INSERT INTO group_messages (group_id, user_id, body) VALUES (\(F.privateGroup), \(F.v), \(long))
                """)
            try await client.query("DELETE FROM group_messages WHERE body = \(long)")
        }
        let changes = try payloads.map(DirectoryChange.parse(payload:)).compactMap { change -> RowChange? in
            guard case .row(let row) = change else { return nil }
            return row
        }
        XCTAssertEqual(changes.map(\.operation), [.insert, .insert, .delete],
                       "the UPDATE that changed nothing is not sent")
        XCTAssertTrue(changes.allSatisfy { $0.table == "group_messages" && $0.commitTimestamp.hasSuffix("Z") })
        let short = try XCTUnwrap(changes[0].record.flatMap(object))
        XCTAssertEqual(short["body"] as? String, "short")
        XCTAssertFalse(changes[0].partial)
        XCTAssertTrue(changes[1].partial)
        let key = try XCTUnwrap(changes[1].record.flatMap(object))
        XCTAssertEqual(Set(key.keys), ["id", "group_id", "user_id", "created_at"])
        XCTAssertEqual(Set(try XCTUnwrap(changes[2].oldRecord.flatMap(object)).keys), Set(key.keys))
        XCTAssertNil(changes[2].record)

        let reader = try XCTUnwrap(made.live as? any RowReader)
        let table = try XCTUnwrap(ServedTable.all["group_messages"])
        let shortID = try XCTUnwrap(short["id"] as? Int)
        let readBack = try await reader.row(of: table, id: String(shortID))
        XCTAssertEqual(readBack.flatMap(object)?["body"] as? String, "short")
        let gone = try await reader.row(of: table, id: "\(try XCTUnwrap(key["id"] as? Int))")
        XCTAssertNil(gone)
        let columns = try await reader.columns(of: table)
        XCTAssertEqual(columns.map(\.name), ["id", "group_id", "user_id", "body", "metadata", "created_at"])
        XCTAssertEqual(columns.map(\.type), ["int8", "uuid", "uuid", "text", "jsonb", "timestamptz"])
    }

    private func object(_ text: String) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }
}
