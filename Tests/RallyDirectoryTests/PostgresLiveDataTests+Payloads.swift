import Foundation
import PostgresNIO
import RallyDirectory
import RallyTestSupport
import XCTest

extension PostgresLiveDataTests {
    /// A small message comes inline and equals the stored row; one too big for NOTIFY comes by id only and is
    /// read back whole.
    func testMessagesComeInlineWhenTheyFit() async throws {
        let harness = try await fixture()
        let recorder = try await harness.startRecording()
        let small = try await harness.live.storeMessage(NewMessage(
            group: F.privateGroup, user: F.v, body: "hello \u{1F44B}", metadataJSON: #"{"reply_to": 1}"#))
        let fits = try await harness.live.storeMessage(NewMessage(group: F.privateGroup, user: nil,
                                                                  body: String(repeating: "a", count: 6500)))
        let tooBig = try await harness.live.storeMessage(NewMessage(group: F.privateGroup, user: F.v,
                                                                    body: String(repeating: "a", count: 7000)))
        let huge = try await harness.live.storeMessage(NewMessage(group: F.privateGroup, user: F.v,
                                                                  body: String(repeating: "é", count: 10_000)))
        XCTAssertEqual(huge.body.utf8.count, 20_000)
        let received = await recorder.waitFor(count: 4)
        XCTAssertEqual(received, [
            .groupMessage(.insert, id: small.id, group: F.privateGroup, inline: small),
            .groupMessage(.insert, id: fits.id, group: F.privateGroup, inline: fits),
            .groupMessage(.insert, id: tooBig.id, group: F.privateGroup, inline: nil),
            .groupMessage(.insert, id: huge.id, group: F.privateGroup, inline: nil),
        ])
        let readBack = try await harness.live.message(huge.id)
        XCTAssertEqual(readBack, huge)
        XCTAssertEqual(readBack?.body.utf8.count, 20_000)
    }

    /// Event changes name the creator; a catalogue event has none.
    func testEventChangesCarryTheCreator() async throws {
        let harness = try await fixture()
        let recorder = try await harness.startRecording()
        let userMade = UUID(), catalogue = UUID()
        for (id, creator) in [(userMade, Optional(F.friend)), (catalogue, nil)] {
            try await harness.database.client.query("""
                INSERT INTO events (id, title, date_time, location_name, category, source, created_by_user_id)
                VALUES (\(id), 'new', NOW(), 'somewhere', 'social', 'test', \(creator))
                """, logger: TestDatabase.logger)
        }
        let received = await recorder.waitFor(count: 2)
        XCTAssertEqual(received, [
            .event(.insert, event: userMade, visibility: .private, active: true, creator: F.friend),
            .event(.insert, event: catalogue, visibility: .public, active: true, creator: nil),
        ])
    }

    /// Seed 003's statuses are allowed, others refused; the migration runs again on a database that has it.
    func testPlanStatusesAndTheMigrationRunningAgain() async throws {
        let harness = try await fixture()
        let client = harness.database.client
        try await client.query("UPDATE plans SET status = 'booked' WHERE id = \(F.plan)", logger: TestDatabase.logger)
        do {
            try await client.query("UPDATE plans SET status = 'bogus' WHERE id = \(F.plan)", logger: TestDatabase.logger)
            XCTFail("an unknown status is refused")
        } catch is PSQLError {}
        try await client.query("DELETE FROM rally_schema_migrations WHERE version LIKE '00%_live_data_%'",
                               logger: TestDatabase.logger)
        let applied = try await Migrations.apply(on: client, logger: TestDatabase.logger)
        XCTAssertEqual(applied, ["006_live_data_users", "007_live_data_events"])
        let checks = try await client.query("""
            SELECT count(*) FROM pg_constraint WHERE conrelid = 'plans'::regclass AND contype = 'c'
            """, logger: TestDatabase.logger).collect().first?.decode(Int64.self)
        XCTAssertEqual(checks, 1, "the old CHECK replaced, not doubled")
        let plan = try await harness.live.plan(F.plan)
        XCTAssertEqual(plan?.status, "booked")
    }
}
