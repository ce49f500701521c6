import Foundation
import Logging
import PostgresNIO
import RallyDirectory
import XCTest

/// A fresh, migrated database on the PostgreSQL of `RALLY_TEST_DATABASE_URL` (set by
/// `eval "$(scripts/services.sh start)"`), with a running pool; `drop()` removes it. Unset, the test fails saying
/// how to start PostgreSQL, unless `RALLY_TEST_NO_SERVICES=1` asks to skip it (as RallyDirectoryTests do).
final class AccessTestDatabase: @unchecked Sendable {
    let url: DatabaseURL
    let client: PostgresClient
    private let server: DatabaseURL
    private let name: String
    private let runTask: Task<Void, Never>

    static let logger: Logger = {
        var logger = Logger(label: "rally.tests.access-db")
        logger.logLevel = .error
        return logger
    }()

    struct Missing: Error, CustomStringConvertible { var description: String }

    static func serverURL(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> DatabaseURL {
        if let text = environment["RALLY_TEST_DATABASE_URL"], !text.isEmpty { return try DatabaseURL(text) }
        if environment["RALLY_TEST_NO_SERVICES"] == "1" {
            throw XCTSkip("RALLY_TEST_NO_SERVICES=1: skipping a test that needs PostgreSQL")
        }
        let reason = """
            RALLY_TEST_DATABASE_URL is not set: this test needs a real PostgreSQL. Run \
            `eval "$(scripts/services.sh start)"` first (or set RALLY_TEST_NO_SERVICES=1 to skip it).
            """
        XCTFail(reason)
        throw Missing(description: reason)
    }

    /// Creates `rally_access_<random>`, applies the migrations and inserts `seed`.
    static func create(seed: DirectorySeed) async throws -> AccessTestDatabase {
        let server = try serverURL()
        let name = "rally_access_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await admin(server, "CREATE DATABASE \(name)")
        let database = AccessTestDatabase(server: server, name: name)
        do {
            try await Migrations.apply(on: database.client, logger: logger)
            try await PostgresSeeder(users: database.client, logger: logger).insert(seed)
        } catch {
            try? await database.drop()
            throw error
        }
        return database
    }

    private init(server: DatabaseURL, name: String) {
        self.server = server
        self.name = name
        self.url = server.with(database: name)
        let client = PostgresClient(configuration: url.clientConfiguration, backgroundLogger: Self.logger)
        self.client = client
        self.runTask = Task { await client.run() }
    }

    func drop() async throws {
        runTask.cancel()
        await runTask.value
        try await Self.admin(server, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    private static func admin(_ server: DatabaseURL, _ sql: String) async throws {
        let admin = PostgresClient(configuration: server.clientConfiguration, backgroundLogger: logger)
        let task = Task { await admin.run() }
        defer { task.cancel() }
        try await admin.query(PostgresQuery(unsafeSQL: sql), logger: logger)
    }
}
