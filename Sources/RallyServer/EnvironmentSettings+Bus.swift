import NIOCore
import RallyRedis

extension EnvironmentSetting {
    static let bus: [EnvironmentSetting] = [
        .init("RALLY_REDIS_URL", "unset (a node alone)",
              "redis://[user:password@]host:port[/db] or rediss:// (TLS): the bus between nodes and for backend publishes") {
            _ = try RedisURL($1)
            $0.bus.redisURL = $1
        },
        .init("RALLY_REDIS_CLUSTER", "false",
              "true: RALLY_REDIS_URL names any node of a Redis Cluster; the bus uses sharded pub/sub (SPUBLISH)") {
            $0.bus.redisCluster = try Parse.bool($1)
        },
        .init("RALLY_REDIS_PARTITIONS", Default.int(\.bus.redisPartitions),
              "Redis Cluster only: how many partitions topics spread over (1 to 16384, the same on every node)") {
            let count = try Parse.int($1)
            guard (1...16384).contains(count) else { throw ConfigurationError("expected 1 to 16384") }
            $0.bus.redisPartitions = count
        },
        .init("RALLY_NODE_ID", "random per start", "this node's id on the bus: 1 to 16 hex digits, unique per node") {
            guard let id = UInt64($1, radix: 16), id != 0, $1.count <= 16 else {
                throw ConfigurationError("expected 1 to 16 hex digits, not all zero")
            }
            $0.bus.nodeID = id
        },
        .init("RALLY_BUS_HEARTBEAT_MS", Default.milliseconds(\.bus.cluster.heartbeatInterval), "how often a node tells the others it is alive") {
            $0.bus.cluster.heartbeatInterval = try Parse.positiveMilliseconds($1)
        },
        .init("RALLY_BUS_NODE_TIMEOUT_MS", Default.milliseconds(\.bus.cluster.nodeTimeout),
              "a node silent this long is down: its presence leaves on every node") {
            $0.bus.cluster.nodeTimeout = try Parse.positiveMilliseconds($1)
        },
        .init("RALLY_BUS_PRESENCE_SYNC_MS", Default.milliseconds(\.bus.cluster.presenceSyncTimeout),
              "longest a join waits for the other nodes' presence before it is answered with what arrived") {
            $0.bus.cluster.presenceSyncTimeout = try Parse.positiveMilliseconds($1)
        },
        .init("RALLY_USER_MESSAGES_PER_MINUTE", "0 (none)",
              "writes one user may make per minute over all their sockets and nodes (shared in Redis when set)") {
            $0.limits.userRate.perWindow = try Parse.int($1)
        },
        .init("RALLY_REDIS_READY_GRACE_MS", Default.milliseconds(\.bus.readinessGrace), "how long Redis may be unreachable before /readyz fails") {
            $0.bus.readinessGrace = try Parse.milliseconds($1)
        },
    ]
}

extension Parse {
    static func positiveMilliseconds(_ raw: String) throws -> TimeAmount {
        let value = try int(raw)
        guard value > 0 else { throw ConfigurationError("expected a positive number of milliseconds") }
        return .milliseconds(Int64(value))
    }
}
