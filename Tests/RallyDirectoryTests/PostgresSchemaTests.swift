import Foundation
import PostgresNIO
import RallyDirectory
import RallyPrivacy
import RallyTestSupport
import XCTest

/// Migrations and triggers on the real PostgreSQL, each test on a fresh database.
final class PostgresSchemaTests: XCTestCase {
    private var databases: [TestDatabase] = []

    private func freshDatabase() async throws -> TestDatabase {
        let database = try await TestDatabase.create()
        databases.append(database)
        return database
    }

    override func tearDown() async throws {
        for database in databases { try await database.drop() }
        databases = []
    }

    func testMigrationsApplyOnceAndAreRecorded() async throws {
        let database = try await freshDatabase()
        let first = try await Migrations.apply(on: database.client, logger: TestDatabase.logger)
        XCTAssertEqual(first, Migrations.all.map(\.version))
        let second = try await Migrations.apply(on: database.client, logger: TestDatabase.logger)
        XCTAssertEqual(second, [], "a second run applies nothing")
        let recorded = try await Migrations.appliedVersions(on: database.client)
        XCTAssertEqual(recorded, Migrations.all.map(\.version))
    }

    func testConcurrentRunsApplyEachMigrationOnce() async throws {
        let database = try await freshDatabase()
        let client = database.client
        async let one = Migrations.apply(on: client, logger: TestDatabase.logger)
        async let two = Migrations.apply(on: client, logger: TestDatabase.logger)
        let applied = try await one + two
        XCTAssertEqual(applied.sorted(), Migrations.all.map(\.version).sorted())
    }

    /// Seed 000's split: users and events in two databases, each migrated for its side, read together.
    func testSplitUserAndEventDatabases() async throws {
        let users = try await freshDatabase()
        let events = try await freshDatabase()
        try await Migrations.apply(on: users.client, target: .users, logger: TestDatabase.logger)
        try await Migrations.apply(on: events.client, target: .events, logger: TestDatabase.logger)
        let eventsHasUsers = try await exists("users", in: events)
        let usersHasEvents = try await exists("events", in: users)
        XCTAssertFalse(eventsHasUsers, "no user data in the events database")
        XCTAssertFalse(usersHasEvents)
        try await PostgresSeeder(users: users.client, events: events.client).insert(DemoData.seed)
        let directory = PostgresDirectory(users: users.client, events: events.client)
        try await DirectoryContract.demoJoinDecisions(directory)
        try await DirectoryContract.demoItemFiltering(directory)
    }

    func testEventVisibilityDefaultsWhenNull() async throws {
        let database = try await freshDatabase()
        try await Migrations.apply(on: database.client, logger: TestDatabase.logger)
        try await PostgresSeeder(users: database.client).insert(DemoData.seed)
        let catalogue = UUID(), userMade = UUID()
        for (id, creator) in [(catalogue, nil), (userMade, DemoData.alice)] as [(UUID, UUID?)] {
            try await database.client.query("""
                INSERT INTO events (id, title, date_time, location_name, category, source, created_by_user_id)
                VALUES (\(id), 'x', NOW(), 'x', 'x', 'x', \(creator))
                """)
        }
        let directory = PostgresDirectory(users: database.client)
        let catalogueVisibility = try await directory.event(catalogue)?.visibility
        let userMadeVisibility = try await directory.event(userMade)?.visibility
        XCTAssertEqual(catalogueVisibility, .public, "a catalogue event is public by default")
        XCTAssertEqual(userMadeVisibility, .private, "a user-created event without visibility is private")
    }

    private func exists(_ table: String, in database: TestDatabase) async throws -> Bool {
        let rows = try await database.client.query("SELECT to_regclass(\(table)) IS NOT NULL").collect()
        return try rows.first?.decode(Bool.self) ?? false
    }
}
