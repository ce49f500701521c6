import Foundation
import RallyDirectory
import RallyPrivacy
import RallyTestSupport
import XCTest

/// Parts of RallyDirectory that need no server.
final class DirectoryUnitTests: XCTestCase {
    func testDatabaseURL() throws {
        let url = try DatabaseURL("postgres://rally:s%40cret@127.0.0.1:6543/app?sslmode=disable")
        XCTAssertEqual(url.host, "127.0.0.1")
        XCTAssertEqual(url.port, 6543)
        XCTAssertEqual(url.username, "rally")
        XCTAssertEqual(url.password, "s@cret")
        XCTAssertEqual(url.database, "app")
        XCTAssertEqual(url.tls, .disable)
        XCTAssertFalse(url.description.contains("cret"), "the password stays out of logs")
        XCTAssertEqual(url.with(database: "other").database, "other")
        let defaults = try DatabaseURL("postgresql://u@db.internal")
        XCTAssertEqual(defaults.port, 5432)
        XCTAssertNil(defaults.database)
        XCTAssertEqual(defaults.tls, .prefer)
        for bad in ["mysql://u@h/d", "postgres://h/d", "postgres://u@h/d?sslmode=verify-full", "not a url"] {
            XCTAssertThrowsError(try DatabaseURL(bad), bad)
        }
    }

    func testChangePayloadsParse() throws {
        let user = "0d4c7c3e-5d1a-4f63-9a57-3f2d4c1b0a01", other = "6a1f0e2b-8c44-4d2e-b7a9-1e5f3c2d4b02"
        let change = try DirectoryChange.parse(
            payload: #"{"kind": "friendship", "op": "delete", "a": "\#(user)", "b": "\#(other)", "status": "blocked"}"#)
        XCTAssertEqual(change, .friendship(.delete, a: UUID(uuidString: user)!, b: UUID(uuidString: other)!,
                                           status: .blocked))
        let message = try DirectoryChange.parse(payload: #"{"kind":"group_message","op":"insert","id":"42","group":"\#(user)"}"#)
        XCTAssertEqual(message, .groupMessage(.insert, id: 42, group: UUID(uuidString: user)!))
        let unknownLevel = try DirectoryChange.parse(
            payload: #"{"kind":"user","op":"update","user":"\#(user)","privacy_level":"weird"}"#)
        XCTAssertEqual(unknownLevel, .user(.update, user: UUID(uuidString: user)!, privacy: .private), "fails closed")
        let bad = ["", "[]", #"{"kind":"friendship","op":"insert"}"#, #"{"kind":"nope","op":"insert"}"#,
                   #"{"kind":"user","op":"upsert","user":"\#(user)"}"#, #"{"kind":"group_message","op":"insert","id":"x","group":"\#(user)"}"#]
        for payload in bad {
            XCTAssertThrowsError(try DirectoryChange.parse(payload: payload), payload)
        }
    }

    /// Small rows come inline (times as epoch microseconds); ids alone leave `inline` nil; events name the creator.
    func testLiveDataPayloadsParse() throws {
        let user = UUID(), group = UUID(), id = UUID()
        let micros: Int64 = 1_900_000_000_123_456
        let message = try DirectoryChange.parse(payload: """
            {"kind":"group_message","op":"insert","id":"7","group":"\(group)","user":null,"body":"hi",
             "metadata":"{\\"a\\": 1}","created_at":\(micros)}
            """)
        let created = Date(timeIntervalSince1970: 1_900_000_000.123456)
        guard case .groupMessage(.insert, 7, group, let inline?, nil) = message else { return XCTFail("\(message)") }
        XCTAssertEqual(inline.id, 7)
        XCTAssertNil(inline.user)
        XCTAssertEqual(inline.body, "hi")
        XCTAssertEqual(inline.metadataJSON, #"{"a": 1}"#)
        XCTAssertEqual(inline.createdAt.timeIntervalSince1970, created.timeIntervalSince1970, accuracy: 0.000_001)
        let notification = try DirectoryChange.parse(payload: """
            {"kind":"notification","op":"update","id":"\(id)","user":"\(user)","type":"t","title":"T",
             "message":"m","data":"{}","is_read":true,"created_at":0}
            """)
        XCTAssertEqual(notification, .notification(.update, id: id, user: user, inline: NotificationRecord(
            id: id, user: user, type: "t", title: "T", message: "m", isRead: true, createdAt: Date(timeIntervalSince1970: 0))))
        let idsOnly = try DirectoryChange.parse(payload: #"{"kind":"notification","op":"insert","id":"\#(id)","user":"\#(user)"}"#)
        XCTAssertEqual(idsOnly, .notification(.insert, id: id, user: user, inline: nil))
        let event = try DirectoryChange.parse(
            payload: #"{"kind":"event","op":"insert","event":"\#(id)","visibility":"friends","active":true,"creator":"\#(user)"}"#)
        XCTAssertEqual(event, .event(.insert, event: id, visibility: .friends, active: true, creator: user))
    }

    func testWhichChangesMayRevoke() {
        let id = UUID()
        XCTAssertTrue(DirectoryChange.friendship(.update, a: id, b: id, status: .blocked).mayRevoke)
        XCTAssertTrue(DirectoryChange.resync.mayRevoke)
        XCTAssertTrue(DirectoryChange.plan(.delete, plan: id, status: "planning").mayRevoke)
        XCTAssertFalse(DirectoryChange.plan(.update, plan: id, status: "confirmed").mayRevoke)
        XCTAssertFalse(DirectoryChange.groupMessage(.insert, id: 1, group: id).mayRevoke)
    }

    func testBackoffDoublesUpToTheMaximum() {
        let backoff = ReconnectBackoff(initial: .milliseconds(100), maximum: .seconds(1))
        XCTAssertEqual((0...5).map { backoff.delay(attempt: $0) },
                       [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .seconds(1),
                        .seconds(1)])
        XCTAssertEqual(backoff.delay(attempt: 1000), .seconds(1))
    }

    func testMissingServicesFailUnlessOptedOut() {
        XCTAssertEqual(TestServices.availability(environment: ["RALLY_TEST_DATABASE_URL": "postgres://u@h/d"]),
                       .available("postgres://u@h/d"))
        guard case .missing(let reason) = TestServices.availability(environment: [:]) else {
            return XCTFail("unset must fail")
        }
        XCTAssertTrue(reason.contains("scripts/services.sh start"))
        guard case .skip = TestServices.availability(environment: ["RALLY_TEST_NO_SERVICES": "1"]) else {
            return XCTFail("the opt-out skips")
        }
    }

    func testMigrationsCoverTheSchemaRallyReads() {
        let versions = Migrations.all.map(\.version)
        XCTAssertEqual(Set(versions).count, versions.count, "unique versions")
        XCTAssertEqual(versions, versions.sorted(), "applied in version order")
        let script = Migrations.sqlScript()
        for table in ["users", "friendships", "groups", "group_members", "events", "event_attendance", "plans",
                      "plan_participants", "notifications", "group_messages"] {
            XCTAssertTrue(script.contains("CREATE TABLE IF NOT EXISTS \(table) ("), table)
            XCTAssertTrue(script.contains(" ON \(table) FOR EACH ROW EXECUTE FUNCTION"), "trigger on \(table)")
        }
        let users = Migrations.sqlScript(for: .users), events = Migrations.sqlScript(for: .events)
        XCTAssertFalse(users.contains("CREATE TABLE IF NOT EXISTS events"))
        XCTAssertFalse(events.contains("CREATE TABLE IF NOT EXISTS users"))
        XCTAssertFalse(events.contains("REFERENCES users"), "the events database stands alone")
    }

    func testDemoIdsAreTheLiteralsTheyShow() {
        let ids = [DemoData.alice, DemoData.bob, DemoData.carol, DemoData.dave, DemoData.erin]
        XCTAssertEqual(ids.map { $0.uuidString.lowercased().prefix(8) },
                       ["a11ce000", "b0b00000", "ca201000", "da7e0000", "e2170000"])
        XCTAssertEqual(Set(DemoData.seed.users.map(\.id)).count, 5)
    }
}
