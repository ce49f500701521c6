import Foundation
import RallyDirectory
import RallyProtocol
import XCTest
@testable import RallyLive

/// `postgres_changes` entries of a join: what is served, what is refused with a reason, and filter matching
/// (Supabase's `eq, neq, lt, lte, gt, gte, in`) against rows as `to_jsonb` writes them.
final class ChangeBindingTests: XCTestCase {
    let event = "5f0c3a52-7d4e-4b8a-9c1e-0a6b2d3e4f51"

    func entry(_ fields: [(String, String)]) -> JSONObject {
        JSONObject(fields.map { JSONObject.Field(key: $0.0, value: .string($0.1)) })
    }

    func attendance(filter: String?, event: String = "*") -> JSONObject {
        var fields = [("event", event), ("schema", "public"), ("table", "event_attendance")]
        if let filter { fields.append(("filter", filter)) }
        return entry(fields)
    }

    func refusal(_ entry: JSONObject) -> String? {
        guard case .failure(let refusal) = ChangeBinding.parse([entry]) else { return nil }
        return refusal.reason
    }

    func testAServedTableWithAFilterGetsTheReplyID() throws {
        let params = attendance(filter: "event_id=eq.\(event)", event: "insert")
        let bindings = try ChangeBinding.parse([params]).get()
        XCTAssertEqual(bindings.count, 1)
        XCTAssertEqual(bindings[0].id, Replies.postgresChangesID(params))
        XCTAssertEqual(bindings[0].operation, .insert)
        XCTAssertEqual(bindings[0].table.name, "event_attendance")
        XCTAssertEqual(bindings[0].filter?.op, .eq)
    }

    func testAnEntryWithoutATableStandsForEveryServedTable() throws {
        let bindings = try ChangeBinding.parse([entry([("event", "*"), ("schema", "public")])]).get()
        XCTAssertEqual(Set(bindings.map(\.table.name)), Set(ServedTable.all.keys))
        XCTAssertEqual(Set(bindings.map(\.id)).count, 1)
    }

    func testWhatCannotBeServedIsRefusedWithAReason() {
        let cases: [(JSONObject, String)] = [
            (entry([("event", "*"), ("schema", "public"), ("table", "notifications")]),
             "table notifications is not served"),
            (entry([("event", "*"), ("schema", "auth"), ("table", "users")]), "only schema public"),
            (entry([("event", "TRUNCATE"), ("schema", "public"), ("table", "events")]), "event must be"),
            (attendance(filter: "notes=eq.x"), "the columns that can be filtered are"),
            (attendance(filter: "event_id=like.x%"), "the operators served are"),
            (attendance(filter: "event_id"), "is not column=operator.value"),
            (attendance(filter: "event_id=eq.not-a-uuid"), "not a valid uuid value"),
            (attendance(filter: "event_id=in.a,b"), "in takes"),
            (entry([("event", "*"), ("schema", "public"), ("filter", "id=eq.1")]), "a filter needs a table"),
        ]
        for (params, detail) in cases {
            let reason = refusal(params)
            XCTAssertTrue(reason?.hasPrefix("PostgresChangesUnsupported: Unable to subscribe to changes with given "
                                            + "parameters: ") == true, "\(params): \(String(describing: reason))")
            XCTAssertTrue(reason?.contains(detail) == true, "\(params): \(String(describing: reason))")
        }
    }

    func testFiltersMatchTypedValues() throws {
        let row: JSONObject = ["id": .int(42), "group_id": .string(event.uppercased()), "user_id": .null,
                               "created_at": .string("2026-12-06T08:00:00.123456+00:00")]
        let table = try XCTUnwrap(ServedTable.all["group_messages"])
        func matches(_ filter: String) throws -> Bool { try RowFilter.parse(filter, table: table).get().matches(row) }
        XCTAssertTrue(try matches("id=eq.42"))
        XCTAssertTrue(try matches("id=neq.41"))
        XCTAssertTrue(try matches("id=gt.9"))          // numerically, not as text
        XCTAssertTrue(try matches("id=gte.42"))
        XCTAssertFalse(try matches("id=lt.42"))
        XCTAssertTrue(try matches("id=lte.42"))
        XCTAssertTrue(try matches("id=in.(1,42,\"7\")"))
        XCTAssertFalse(try matches("id=in.(1,2)"))
        XCTAssertTrue(try matches("group_id=eq.\(event)"))  // uuids without regard to case
        XCTAssertFalse(try matches("user_id=eq.\(event)"))  // null matches nothing, as in SQL
        XCTAssertFalse(try matches("user_id=neq.\(event)"))
        XCTAssertTrue(try matches("created_at=gt.2026-12-06 07:59:59"))
        XCTAssertTrue(try matches("created_at=lt.2026-12-06T09:00:00+00:30"))
        XCTAssertFalse(try matches("created_at=lt.2026-12-06T08:00:00Z"))
    }

    func testMatchedIDsFollowTheOperationAndTheFilter() throws {
        let insertOnly = attendance(filter: "event_id=eq.\(event)", event: "INSERT")
        let everything = attendance(filter: nil)
        let bindings = try ChangeBinding.parse([insertOnly, everything]).get()
        let row: JSONObject = ["id": .string(UUID().uuidString), "event_id": .string(event)]
        let other: JSONObject = ["id": .string(UUID().uuidString), "event_id": .string(UUID().uuidString)]
        func change(_ operation: ChangeOperation) -> RowChange {
            RowChange(table: "event_attendance", operation: operation, commitTimestamp: "", record: nil, oldRecord: nil)
        }
        let expected = (Replies.postgresChangesID(insertOnly), Replies.postgresChangesID(everything))
        XCTAssertEqual(ids(bindings, change(.insert), row), [expected.0, expected.1])
        XCTAssertEqual(ids(bindings, change(.delete), row), [expected.1])
        XCTAssertEqual(ids(bindings, change(.insert), other), [expected.1])
        let events = RowChange(table: "events", operation: .insert, commitTimestamp: "", record: nil, oldRecord: nil)
        XCTAssertEqual(ids(bindings, events, row), [])
    }

    func ids(_ bindings: [ChangeBinding], _ change: RowChange, _ row: JSONObject) -> [Int] {
        PostgresChangesFeed.ids(of: PostgresChangesFeed.matched(bindings, change: change, row: row))
    }

    func testSelectKeepsTheChosenColumnsAndThePrimaryKey() throws {
        var params = attendance(filter: nil)
        params["select"] = .array([.string("status")])
        let binding = try XCTUnwrap(try ChangeBinding.parse([params]).get().first)
        XCTAssertEqual(binding.select, ["status"])
        let everything = try ChangeBinding.parse([attendance(filter: nil)]).get()[0]
        XCTAssertNil(PostgresChangesFeed.selection(of: [binding, everything]))
        let change = RowChange(table: "event_attendance", operation: .update, commitTimestamp: "", record: nil,
                               oldRecord: nil)
        let row: JSONObject = ["id": .string("a"), "status": .string("going"), "notes": .string("secret")]
        let payload = ChangePayload.make(ids: [1], change: change, columns: [("id", "uuid"), ("status", "varchar"),
                                                                             ("notes", "text")],
                                         record: row, oldRecord: row,
                                         select: PostgresChangesFeed.selection(of: [binding]))
        XCTAssertEqual(payload["data"]?["record"], .object(["id": .string("a"), "status": .string("going")]))
        XCTAssertEqual(payload["data"]?["old_record"], .object(["id": .string("a"), "status": .string("going")]))
        XCTAssertEqual(payload["data"]?["columns"]?.arrayValue?.count, 2)
        params["select"] = .string("status")
        XCTAssertNotNil(refusal(params))
    }

    func testPayloadHasSupabasesShape() throws {
        let record: JSONObject = ["id": .string("a"), "status": .string("going")]
        let old: JSONObject = ["id": .string("a"), "status": .string("maybe")]
        let columns = [(name: "id", type: "uuid"), (name: "status", type: "varchar")]
        func data(_ operation: ChangeOperation) -> JSONObject? {
            let change = RowChange(table: "event_attendance", operation: operation,
                                   commitTimestamp: "2026-12-06T08:00:00.000Z", record: nil, oldRecord: nil)
            let payload = ChangePayload.make(ids: [7, 9], change: change, columns: columns, record: record,
                                             oldRecord: old)
            XCTAssertEqual(payload["ids"], .array([.int(7), .int(9)]))
            return payload["data"]?.objectValue
        }
        let update = try XCTUnwrap(data(.update))
        XCTAssertEqual(update.fields.map(\.key), ["schema", "table", "commit_timestamp", "type", "columns", "record",
                                                  "old_record", "errors"])
        XCTAssertEqual(update["type"], .string("UPDATE"))
        XCTAssertEqual(update["schema"], .string("public"))
        XCTAssertEqual(update["errors"], .null)
        XCTAssertEqual(update["columns"]?.arrayValue?.first, .object(["name": .string("id"), "type": .string("uuid")]))
        XCTAssertNil(data(.insert)?["old_record"], "no old_record on INSERT (not even null)")
        XCTAssertNil(data(.delete)?["record"], "no record on DELETE")
        XCTAssertEqual(data(.delete)?["old_record"], .object(old))
        XCTAssertEqual(ChangePayload.primaryKey(of: old), ["id": .string("a")])
    }

    func testARowPayloadOfTheTriggerIsParsed() throws {
        let text = #"{"kind":"row","op":"delete","table":"group_messages","#
            + #""commit_timestamp":"2026-12-06T08:00:00.000Z","old_record":"{\"id\": 3}","partial":true}"#
        XCTAssertEqual(try DirectoryChange.parse(payload: text), .row(RowChange(
            table: "group_messages", operation: .delete, commitTimestamp: "2026-12-06T08:00:00.000Z", record: nil,
            oldRecord: #"{"id": 3}"#, partial: true)))
    }
}
