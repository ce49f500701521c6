import Logging
import PostgresNIO
import RallyDirectory

/// The Postgres pools of a node: the user database and, with `RALLY_EVENTS_DATABASE_URL`, the events database
/// (seed 000's split). Each pool runs in a task of its own until `stop`.
final class DatabasePools: Sendable {
    let usersURL: DatabaseURL
    let eventsURL: DatabaseURL?
    let users: PostgresClient
    let events: PostgresClient?
    private let runTasks: [Task<Void, Never>]
    private let logger: Logger

    /// Nil when no database is configured.
    init?(configuration: RallyConfiguration, logger: Logger) throws {
        guard let usersText = configuration.databaseURL else { return nil }
        usersURL = try DatabaseURL(usersText)
        eventsURL = try configuration.eventsDatabaseURL.map(DatabaseURL.init)
        let users = PostgresClient(configuration: usersURL.clientConfiguration, backgroundLogger: logger)
        let events = eventsURL.map { PostgresClient(configuration: $0.clientConfiguration, backgroundLogger: logger) }
        self.users = users
        self.events = events
        self.logger = logger
        runTasks = [users, events].compactMap { $0 }.map { client in Task { await client.run() } }
    }

    var directory: PostgresDirectory {
        PostgresDirectory(users: users, events: events, logger: logger)
    }

    var liveStore: PostgresLiveStore {
        PostgresLiveStore(users: users, events: events, logger: logger)
    }

    /// The LISTEN configuration of every database (one change feed each).
    func feedConfigurations() throws -> [PostgresConnection.Configuration] {
        try [usersURL, eventsURL].compactMap { $0 }.map { try $0.connectionConfiguration() }
    }

    /// Applies the schema: everything on one database, or each side on its own.
    func migrate() async throws -> [String] {
        guard let events else { return try await Migrations.apply(on: users, target: .combined, logger: logger) }
        let usersApplied = try await Migrations.apply(on: users, target: .users, logger: logger)
        let eventsApplied = try await Migrations.apply(on: events, target: .events, logger: logger)
        return usersApplied + eventsApplied
    }

    /// Whether every database answers `SELECT 1` within `timeout`.
    func ping(timeout: Duration = .seconds(2)) async -> Bool {
        for client in [users, events].compactMap({ $0 }) {
            guard await Self.ping(client, timeout: timeout, logger: logger) else { return false }
        }
        return true
    }

    private static func ping(_ client: PostgresClient, timeout: Duration, logger: Logger) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { (try? await client.query("SELECT 1", logger: logger).collect()) != nil }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    func stop() async {
        for task in runTasks {
            task.cancel()
            await task.value
        }
    }
}

/// `rally migrate`: applies Rally's schema and triggers to `RALLY_DATABASE_URL` (and `RALLY_EVENTS_DATABASE_URL`).
public enum DatabaseMigration {
    /// Returns the versions applied now (empty when the schema was up to date).
    public static func run(_ configuration: RallyConfiguration, logger: Logger = Logger(label: "rally.migrate"))
        async throws -> [String] {
        guard let pools = try DatabasePools(configuration: configuration, logger: logger) else {
            throw ConfigurationError("rally migrate needs RALLY_DATABASE_URL")
        }
        do {
            let applied = try await pools.migrate()
            await pools.stop()
            return applied
        } catch {
            await pools.stop()
            throw error
        }
    }
}
