import Logging
import NIOConcurrencyHelpers
import NIOCore
import PostgresNIO
import RallyAccess
import RallyDirectory
import RallyHub
import RallyPrivacy

/// Who may see what, for one node: the directory (Postgres with `RALLY_DATABASE_URL`; otherwise in memory, with
/// the demo data in embedded mode and empty in production), the authorizer over it, and the live revocation
/// fed by the directory's changes (`PostgresChangeFeed` per database, or `InMemoryDirectory.changes`).
public final class AccessRuntime: Sendable {
    public let directory: any Directory
    public let authorizer: DirectoryAuthorizer
    private let pools: DatabasePools?
    private let inMemoryChanges: AsyncStream<DirectoryChange>?
    private let tasks = NIOLockedValueBox<[Task<Void, Never>]>([])
    private let logger: Logger

    private init(directory: any Directory, pools: DatabasePools?, inMemoryChanges: AsyncStream<DirectoryChange>?,
                 policy: JoinPolicy, logger: Logger) {
        self.directory = directory
        self.pools = pools
        self.inMemoryChanges = inMemoryChanges
        self.authorizer = DirectoryAuthorizer(directory: directory, policy: policy, logger: logger)
        self.logger = logger
    }

    static func make(_ configuration: RallyConfiguration, logger: Logger) async throws -> AccessRuntime {
        let policy = JoinPolicy(allowAnonymousFreeForm: configuration.allowAnonymous)
        if let pools = try DatabasePools(configuration: configuration, logger: logger) {
            logger.info("directory: postgres", metadata: ["url": "\(pools.usersURL)"])
            return AccessRuntime(directory: pools.directory, pools: pools, inMemoryChanges: nil, policy: policy,
                                 logger: logger)
        }
        let memory = configuration.mode == .embedded ? InMemoryDirectory.demo() : InMemoryDirectory()
        let changes = await memory.changes()
        return AccessRuntime(directory: memory, pools: nil, inMemoryChanges: changes, policy: policy, logger: logger)
    }

    /// Starts applying directory changes to the node's live subscriptions.
    func startRevocation(services: HubServices) throws {
        let revocation = LiveRevocation(services: services)
        var started: [Task<Void, Never>] = []
        if let inMemoryChanges {
            started.append(Task { await revocation.run(inMemoryChanges) })
        }
        for feedConfiguration in try pools?.feedConfigurations() ?? [] {
            let feed = PostgresChangeFeed(configuration: feedConfiguration, logger: logger)
            started.append(Task { await feed.run(handle: { await revocation.handle($0) }) })
        }
        tasks.withLockedValue { $0.append(contentsOf: started) }
    }

    /// `/readyz` checks: `postgres` when a database is configured.
    func readiness(on loop: EventLoop) -> EventLoopFuture<[String: Bool]> {
        guard let pools else { return loop.makeSucceededFuture([:]) }
        let promise = loop.makePromise(of: [String: Bool].self)
        promise.completeWithTask { ["postgres": await pools.ping()] }
        return promise.futureResult
    }

    /// Stops the change feeds and the pools.
    func stop() async {
        let running = tasks.withLockedValue { current in
            defer { current.removeAll() }
            return current
        }
        for task in running {
            task.cancel()
            await task.value
        }
        await pools?.stop()
    }
}
