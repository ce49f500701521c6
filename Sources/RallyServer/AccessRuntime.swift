import Logging
import NIOConcurrencyHelpers
import NIOCore
import PostgresNIO
import RallyAccess
import RallyDirectory
import RallyHub
import RallyLive
import RallyPrivacy

/// Who may see what, for one node: the directory (Postgres with `RALLY_DATABASE_URL`; otherwise in memory, with
/// the demo data in embedded mode and empty in production), the authorizer over it, and the `ChangePipeline`
/// fed by the directory's changes (a `PostgresChangeFeed` per database, or `InMemoryDirectory.changes`).
public final class AccessRuntime: Sendable {
    public let directory: any Directory
    public let authorizer: DirectoryAuthorizer
    /// The rows behind the live feeds: the same in-memory directory, or Postgres.
    public let liveStore: any LiveStore
    private let pools: DatabasePools?
    private let inMemoryChanges: AsyncStream<DirectoryChange>?
    private let pipelines = NIOLockedValueBox<[ChangePipeline]>([])
    private let logger: Logger

    private init(directory: any Directory, liveStore: any LiveStore, pools: DatabasePools?,
                 inMemoryChanges: AsyncStream<DirectoryChange>?, policy: JoinPolicy, logger: Logger) {
        self.directory = directory
        self.liveStore = liveStore
        self.pools = pools
        self.inMemoryChanges = inMemoryChanges
        self.authorizer = DirectoryAuthorizer(directory: directory, policy: policy, logger: logger)
        self.logger = logger
    }

    /// How many LISTEN connections feed the node (one per database; none in memory).
    var changeFeedCount: Int { pools == nil ? 0 : (pools?.eventsURL == nil ? 1 : 2) }

    static func make(_ configuration: RallyConfiguration, logger: Logger) async throws -> AccessRuntime {
        let policy = JoinPolicy(allowAnonymousFreeForm: configuration.allowAnonymous)
        if let pools = try DatabasePools(configuration: configuration, logger: logger) {
            logger.info("directory: postgres", metadata: ["url": "\(pools.usersURL)"])
            return AccessRuntime(directory: pools.directory, liveStore: pools.liveStore, pools: pools,
                                 inMemoryChanges: nil, policy: policy, logger: logger)
        }
        let memory = configuration.mode == .embedded ? InMemoryDirectory.demo() : InMemoryDirectory()
        let changes = await memory.changes()
        return AccessRuntime(directory: memory, liveStore: memory, pools: nil, inMemoryChanges: changes,
                             policy: policy, logger: logger)
    }

    /// Starts the change pipeline (`ChangePipeline`): every change goes to the live feeds (capacity, chat,
    /// notifications, activity) in order, and beside them to revocation on the node's live subscriptions.
    func startChangeFeeds(services: HubServices, live: LiveFeeds) throws {
        var sources: [any ChangeSource] = []
        if let inMemoryChanges { sources.append(InMemoryChangeSource(inMemoryChanges)) }
        for feedConfiguration in try pools?.feedConfigurations() ?? [] {
            sources.append(PostgresChangeFeed(configuration: feedConfiguration, logger: logger))
        }
        let pipeline = ChangePipeline(services: services, live: live)
        pipeline.start(sources)
        pipelines.withLockedValue { $0.append(pipeline) }
    }

    /// `/readyz` checks: `postgres` (every database answers) and `postgres_listen` (every change feed is
    /// listening) when a database is configured.
    func readiness(on loop: EventLoop, live: LiveFeeds) -> EventLoopFuture<[String: Bool]> {
        guard let pools else { return loop.makeSucceededFuture([:]) }
        return loop.futureFromTask {
            ["postgres": await pools.ping(), "postgres_listen": live.isConnected]
        }
    }

    /// Stops the change feeds and the pools.
    func stop() async {
        let running = pipelines.withLockedValue { current in
            defer { current.removeAll() }
            return current
        }
        for pipeline in running { await pipeline.stop() }
        await pools?.stop()
    }
}

extension LiveFeeds: LiveChangeHandler {}
