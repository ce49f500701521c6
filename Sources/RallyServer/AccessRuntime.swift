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
/// the demo data in embedded mode and empty in production), the authorizer over it, and the live revocation
/// fed by the directory's changes (`PostgresChangeFeed` per database, or `InMemoryDirectory.changes`).
public final class AccessRuntime: Sendable {
    public let directory: any Directory
    public let authorizer: DirectoryAuthorizer
    /// The rows behind the live feeds: the same in-memory directory, or Postgres.
    public let liveStore: any LiveStore
    private let pools: DatabasePools?
    private let inMemoryChanges: AsyncStream<DirectoryChange>?
    private let tasks = NIOLockedValueBox<[Task<Void, Never>]>([])
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

    /// Starts applying directory changes, in order: first to the node's live subscriptions (revocation), then to
    /// the live feeds (capacity, chat, notifications, activity).
    func startChangeFeeds(services: HubServices, live: LiveFeeds) throws {
        let revocation = LiveRevocation(services: services)
        let apply: @Sendable (DirectoryChange) async -> Void = { change in
            await revocation.handle(change)
            await live.handle(change)
        }
        var started: [Task<Void, Never>] = []
        if let inMemoryChanges {
            started.append(Task { for await change in inMemoryChanges { await apply(change) } })
        }
        for (index, feedConfiguration) in try (pools?.feedConfigurations() ?? []).enumerated() {
            let feed = PostgresChangeFeed(configuration: feedConfiguration, logger: logger)
            started.append(Task {
                await feed.run(onListening: { live.feedListening(index) }, onLost: { await live.feedLost(index) },
                               handle: apply)
            })
        }
        tasks.withLockedValue { $0.append(contentsOf: started) }
    }

    /// `/readyz` checks: `postgres` (every database answers) and `postgres_listen` (every change feed is
    /// listening) when a database is configured.
    func readiness(on loop: EventLoop, live: LiveFeeds) -> EventLoopFuture<[String: Bool]> {
        guard let pools else { return loop.makeSucceededFuture([:]) }
        let promise = loop.makePromise(of: [String: Bool].self)
        promise.completeWithTask {
            ["postgres": await pools.ping(), "postgres_listen": live.isConnected]
        }
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
