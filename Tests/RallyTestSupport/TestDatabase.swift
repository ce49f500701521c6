import Foundation
import Logging
import PostgresNIO
import RallyDirectory
import XCTest

/// Where the real PostgreSQL of the tests is: `RALLY_TEST_DATABASE_URL`, set by `scripts/services.sh start`.
/// Unset, a test that needs it fails, saying how to start it — unless `RALLY_TEST_NO_SERVICES=1` asks to skip
/// such tests, which each says so.
public enum TestServices {
    public static let urlVariable = "RALLY_TEST_DATABASE_URL"
    public static let optOutVariable = "RALLY_TEST_NO_SERVICES"

    public enum Availability: Equatable {
        case available(String)
        case skip(String)
        case missing(String)
    }

    public static func availability(environment: [String: String] = ProcessInfo.processInfo.environment) -> Availability {
        if let url = environment[urlVariable], !url.isEmpty { return .available(url) }
        if environment[optOutVariable] == "1" {
            return .skip("\(optOutVariable)=1: skipping a test that needs PostgreSQL")
        }
        return .missing("""
            \(urlVariable) is not set: this test needs a real PostgreSQL. Run `eval "$(scripts/services.sh start)"` \
            first (or set \(optOutVariable)=1 to skip the tests that need services).
            """)
    }

    public struct Missing: Error, CustomStringConvertible {
        public var description: String
    }

    /// The server URL, or a skip / a failure with the reason.
    public static func serverURL() throws -> DatabaseURL {
        switch availability() {
        case .available(let text): return try DatabaseURL(text)
        case .skip(let reason): throw XCTSkip(reason)
        case .missing(let reason):
            XCTFail(reason)
            throw Missing(description: reason)
        }
    }
}

/// A fresh database on the test server, with a running pool; dropped by `drop()`. Shared by every test target
/// that needs PostgreSQL.
public final class TestDatabase: @unchecked Sendable {
    public let name: String
    public let url: DatabaseURL
    public let client: PostgresClient
    private let runTask: Task<Void, Never>
    private let server: DatabaseURL

    /// Quiet: the pool warns when leased before its `run()` task has started, which is harmless here.
    public static let logger: Logger = {
        var logger = Logger(label: "rally.tests.db")
        logger.logLevel = .error
        return logger
    }()

    /// Creates `rally_test_<random>` and starts a pool on it.
    public static func create() async throws -> TestDatabase {
        let server = try TestServices.serverURL()
        let name = "rally_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await withAdminClient(server) { admin in
            try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        }
        return TestDatabase(server: server, name: name)
    }

    private init(server: DatabaseURL, name: String) {
        self.server = server
        self.name = name
        self.url = server.with(database: name)
        let client = PostgresClient(configuration: url.clientConfiguration, backgroundLogger: Self.logger)
        self.client = client
        self.runTask = Task { await client.run() }
    }

    /// Stops the pool and drops the database.
    public func drop() async throws {
        runTask.cancel()
        await runTask.value
        try await Self.withAdminClient(server) { admin in
            try await admin.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"),
                                  logger: Self.logger)
        }
    }

    /// Runs `body` with a short-lived pool on the server's own database.
    @discardableResult
    public static func withAdminClient<T: Sendable>(_ server: DatabaseURL,
                                             _ body: (PostgresClient) async throws -> T) async throws -> T {
        let admin = PostgresClient(configuration: server.clientConfiguration, backgroundLogger: logger)
        let task = Task { await admin.run() }
        let result: Result<T, any Error>
        do {
            result = .success(try await body(admin))
        } catch {
            result = .failure(error)
        }
        task.cancel()
        await task.value
        return try result.get()
    }
}

extension TestDatabase {
    /// A fresh database with Rally's schema applied and `seed` inserted.
    public static func migrated(seed: DirectorySeed = DirectorySeed()) async throws -> TestDatabase {
        let database = try await create()
        do {
            try await Migrations.apply(on: database.client, logger: logger)
            try await PostgresSeeder(users: database.client, logger: logger).insert(seed)
        } catch {
            try? await database.drop()
            throw error
        }
        return database
    }
}
