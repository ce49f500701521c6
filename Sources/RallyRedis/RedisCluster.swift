import Logging
import NIOCore

/// Commands routed to the primary of their key's slot in a Redis Cluster: one `RedisConnection` per primary,
/// built from `CLUSTER SHARDS`. A `-MOVED` reply (the command was not executed) refreshes the topology and the
/// command is retried once on the owner the redirect names; any other outcome is returned as is. `-ASK` (a slot
/// mid-migration) is returned to the caller unchanged. The topology is also re-read every `refreshInterval`.
///
/// Thread safety: all mutable state is confined to `eventLoop`, as for `RedisConnection`; every node connection
/// runs on the same loop.
public final class RedisCluster: @unchecked Sendable {
    public let eventLoop: any EventLoop
    private let configuration: RedisConfiguration
    private let logger: Logger
    private var topology: RedisClusterTopology?
    private var connections: [String: RedisConnection] = [:]  // by node address
    private var refreshing: EventLoopFuture<RedisClusterTopology>?
    private let refreshInterval: TimeAmount?
    private var periodicRefresh: RepeatedTask?
    private var isShutDown = false

    /// `configuration.url` names any node of the cluster (the seed); its credentials and TLS apply to all nodes.
    /// `refreshInterval` nil re-reads the topology only on MOVED and `refreshTopology()`.
    public init(configuration: RedisConfiguration, eventLoop: any EventLoop,
                refreshInterval: TimeAmount? = .seconds(30),
                logger: Logger = Logger(label: "rally.redis.cluster")) {
        var configuration = configuration
        configuration.url.database = 0  // a cluster has database 0 only
        self.configuration = configuration
        self.eventLoop = eventLoop
        self.refreshInterval = refreshInterval
        self.logger = logger
    }

    /// Reads the topology through the seed, connects to every primary, and starts the periodic refresh.
    public func start() -> EventLoopFuture<RedisClusterTopology> {
        onLoop { cluster in
            cluster.startPeriodicRefresh()
            return cluster.refreshOnLoop()
        }
    }

    private func startPeriodicRefresh() {
        guard periodicRefresh == nil, !isShutDown, let interval = refreshInterval else { return }
        periodicRefresh = eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { [weak self] _ in
            self?.refreshOnLoop().whenFailure { error in
                self?.logger.warning("redis cluster: topology refresh failed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// The topology last read.
    public func currentTopology() -> EventLoopFuture<RedisClusterTopology?> {
        onLoop { $0.eventLoop.makeSucceededFuture($0.topology) }
    }

    /// Sends a command to the primary of `key`'s slot; follows one `-MOVED`.
    public func send(_ arguments: [ByteBuffer], key: String) -> EventLoopFuture<RESPValue> {
        onLoop { $0.route(arguments, slot: RedisKeySlot.slot(of: key), retries: 1) }
    }

    public func send(_ arguments: [String], key: String) -> EventLoopFuture<RESPValue> {
        send(arguments.map { ByteBuffer(string: $0) }, key: key)
    }

    /// Re-reads `CLUSTER SHARDS` (from a known primary, else the seed); opens connections to new primaries and
    /// closes those to nodes that no longer are. Concurrent calls share one refresh.
    public func refreshTopology() -> EventLoopFuture<RedisClusterTopology> {
        onLoop { $0.refreshOnLoop() }
    }

    /// The topology last read (event loop only).
    var topologyOnLoop: RedisClusterTopology? {
        eventLoop.assertInEventLoop()
        return topology
    }

    /// The shared configuration with `node` as host (event loop only).
    func configuration(for node: RedisClusterNode) -> RedisConfiguration {
        var nodeConfiguration = configuration
        nodeConfiguration.url.host = node.host
        nodeConfiguration.url.port = node.port
        return nodeConfiguration
    }

    public func shutdown() -> EventLoopFuture<Void> {
        onLoop { cluster in
            cluster.isShutDown = true
            cluster.periodicRefresh?.cancel()
            cluster.periodicRefresh = nil
            let all = cluster.connections.values.map { $0.shutdown() }
            cluster.connections.removeAll()
            return EventLoopFuture.andAllComplete(all, on: cluster.eventLoop)
        }
    }

    private func route(_ arguments: [ByteBuffer], slot: Int, retries: Int) -> EventLoopFuture<RESPValue> {
        guard let node = topology?.primary(forSlot: slot), let connection = connections[node.address] else {
            return eventLoop.makeFailedFuture(RedisError.notConnected)
        }
        return connection.send(arguments).flatMap { reply in
            guard retries > 0, let message = reply.errorMessage, let moved = RedisMovedRedirect(errorMessage: message)
            else { return self.eventLoop.makeSucceededFuture(reply) }
            self.logger.debug("redis cluster: MOVED", metadata: ["slot": "\(moved.slot)",
                                                                "to": "\(moved.host):\(moved.port)"])
            // The redirect names the owner; the refreshed topology may lag behind it (gossip), so prefer it.
            return self.refreshOnLoop().map { _ in }.recover { _ in }.flatMap {
                if let owner = self.connections[moved.address] { return owner.send(arguments) }
                return self.route(arguments, slot: slot, retries: retries - 1)
            }
        }
    }

    private func refreshOnLoop() -> EventLoopFuture<RedisClusterTopology> {
        if let refreshing { return refreshing }
        guard !isShutDown else { return eventLoop.makeFailedFuture(RedisError.shutDown) }
        let future = readShards().flatMapThrowing { reply -> RedisClusterTopology in
            if let message = reply.errorMessage { throw RedisError.errorReply(message) }
            return try RedisClusterTopology(shards: reply, tls: self.configuration.url.tls)
        }.flatMap { topology in
            self.apply(topology).map { topology }
        }
        refreshing = future
        future.whenComplete { _ in self.refreshing = nil }
        return future
    }

    /// `CLUSTER SHARDS` through the first known primary that answers (one that crashed fails at once), else
    /// through a short-lived connection to the seed.
    private func readShards() -> EventLoopFuture<RESPValue> {
        readShards(from: Array(connections.values))
    }

    private func readShards(from candidates: [RedisConnection]) -> EventLoopFuture<RESPValue> {
        guard let first = candidates.first else { return readShardsFromSeed() }
        return first.send(["CLUSTER", "SHARDS"]).flatMapError { _ in
            self.readShards(from: Array(candidates.dropFirst()))
        }
    }

    private func readShardsFromSeed() -> EventLoopFuture<RESPValue> {
        RedisConnector.oneShot(configuration: configuration, on: eventLoop, ["CLUSTER", "SHARDS"])
    }

    /// Connections to exactly the topology's primaries; succeeds when every new one is set up, or after the
    /// connect timeout (a primary that is down then fails its commands with `notConnected` until it is back).
    private func apply(_ topology: RedisClusterTopology) -> EventLoopFuture<Void> {
        self.topology = topology
        let wanted = Set(topology.primaries.map(\.address))
        for (address, connection) in connections where !wanted.contains(address) {
            connection.shutdown().whenComplete { _ in }
            connections[address] = nil
        }
        var fresh: [EventLoopFuture<Void>] = []
        for node in topology.primaries where connections[node.address] == nil {
            do {
                let connection = try RedisConnection(configuration: configuration(for: node), eventLoop: eventLoop,
                                                     logger: logger)
                connections[node.address] = connection
                connection.start()
                fresh.append(connection.whenConnected())
            } catch {
                fresh.append(eventLoop.makeFailedFuture(error))
            }
        }
        return EventLoopFuture.andAllSucceed(fresh, on: eventLoop)
            .failing(after: configuration.connectTimeout)
            .recover { _ in }
    }

    private func onLoop<T>(_ body: @escaping (RedisCluster) -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        if eventLoop.inEventLoop { return body(self) }
        return eventLoop.flatSubmit { body(self) }
    }
}
