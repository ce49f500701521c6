import XCTest

@testable import RallyProtocol

final class RepliesTests: XCTestCase {
    func testOkAndErrorShapes() {
        XCTAssertEqual(Replies.ok().serializedString(), #"{"status":"ok","response":{}}"#)
        XCTAssertEqual(Replies.ok(.object(["a": .int(1)])).serializedString(), #"{"status":"ok","response":{"a":1}}"#)
        XCTAssertEqual(Replies.error(reason: "unmatched topic").serializedString(),
                       #"{"status":"error","response":{"reason":"unmatched topic"}}"#)
        XCTAssertEqual(Replies.error(response: JSONObject()).serializedString(), #"{"status":"error","response":{}}"#)
        XCTAssertEqual(Replies.errorWithoutReason().serializedString(), #"{"status":"error","response":{}}"#)
    }

    func testSystemShape() {
        XCTAssertEqual(Replies.system(ok: false, message: "Too many messages per second", channel: "room1").serializedString(),
                       #"{"extension":"system","status":"error","message":"Too many messages per second","channel":"room1"}"#)
        XCTAssertEqual(Replies.system(ok: true, message: "Subscribed to PostgreSQL", channel: "db", extension: "postgres_changes")
            .serializedString(),
                       #"{"extension":"postgres_changes","status":"ok","message":"Subscribed to PostgreSQL","channel":"db"}"#)
    }

    func testJoinOKEchoesEntriesInOrderWithIDs() throws {
        let first: JSONObject = ["event": .string("*"), "schema": .string("public"), "table": .string("messages"),
                                 "filter": .string("room_id=eq.5")]
        let second: JSONObject = ["event": .string("INSERT"), "schema": .string("public"), "table": .string("users")]
        let reply = Replies.joinOK(postgresChanges: [first, second])
        XCTAssertEqual(reply["status"], .string("ok"))
        let entries = try XCTUnwrap(reply["response"]?["postgres_changes"]?.arrayValue)
        XCTAssertEqual(entries.count, 2)
        XCTAssertEqual(entries[0].objectValue?.fields.map(\.key), ["event", "schema", "table", "filter", "id"])
        XCTAssertEqual(entries[0]["id"]?.intValue, Replies.postgresChangesID(first))
        XCTAssertEqual(entries[1]["table"], .string("users"))
        XCTAssertEqual(entries[1]["id"]?.intValue, Replies.postgresChangesID(second))
    }

    func testJoinOKAlwaysHasThePostgresChangesArray() {
        XCTAssertEqual(Replies.joinOK(postgresChanges: []).serializedString(),
                       #"{"status":"ok","response":{"postgres_changes":[]}}"#)
    }

    func testPostgresChangesIDIsDeterministicAndBounded() {
        let params: JSONObject = ["event": .string("*"), "schema": .string("public"), "table": .string("t"),
                                  "select": .array([.string("id")])]
        let reordered: JSONObject = ["table": .string("t"), "select": .array([.string("id")]), "schema": .string("public"),
                                     "event": .string("*")]
        let id = Replies.postgresChangesID(params)
        XCTAssertEqual(id, Replies.postgresChangesID(params))
        XCTAssertEqual(id, Replies.postgresChangesID(reordered), "key order does not matter")
        var ids = Set<Int>()
        for table in 0..<500 {
            let other = Replies.postgresChangesID(["event": .string("*"), "table": .string("t\(table)")])
            XCTAssertTrue((0..<(1 << 27)).contains(other))
            ids.insert(other)
        }
        XCTAssertGreaterThan(ids.count, 495, "distinct params give (almost always) distinct ids")
        XCTAssertNotEqual(Replies.postgresChangesID(["event": .string("INSERT")]), Replies.postgresChangesID(["event": .string("UPDATE")]))
    }

    func testJoinReplyReplacesAClientSuppliedID() {
        let entry: JSONObject = ["event": .string("*"), "id": .int(5)]
        let echoed = Replies.joinOK(postgresChanges: [entry])["response"]?["postgres_changes"]?.arrayValue?.first
        XCTAssertEqual(echoed?.objectValue?.fields.map(\.key), ["event", "id"])
        XCTAssertEqual(echoed?["id"]?.intValue, Replies.postgresChangesID(entry))
    }
}
