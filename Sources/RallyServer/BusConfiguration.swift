import Logging
import NIOCore
import RallyBus
import RallyBusRedis
import RallyHub
import RallyRedis

/// How a node reaches the other nodes (README "Running several nodes"). Without a Redis URL the node is alone and
/// needs nothing.
public struct BusConfiguration: Sendable {
    /// `redis://[user:password@]host:port[/db]` or `rediss://…` (TLS); nil: a node alone.
    public var redisURL: String?
    /// This node's id on the bus; nil: a random one per start (a restarted process is a new node).
    public var nodeID: UInt64?
    /// `redisURL` names a node of a Redis Cluster: sharded pub/sub over `redisPartitions` partitions.
    public var redisCluster = false
    public var redisPartitions = PartitionTags.defaultCount
    public var cluster = ClusterSettings()
    /// How long Redis may be unreachable before `/readyz` says so (a blip must not pull every node out of the
    /// load balancer at once).
    public var readinessGrace: TimeAmount = .seconds(10)

    public init() {}

    /// The broker for this configuration: nil for a node alone.
    func makeBroker(on loop: EventLoop, logger: Logger) throws -> (any Broker)? {
        guard let redisURL else { return nil }
        let configuration = try RedisConfiguration(url: redisURL)
        let nodeID = nodeID ?? .random(in: 1...UInt64.max)
        guard redisCluster else {
            return try RedisBroker(configuration: configuration, nodeID: nodeID, eventLoop: loop, logger: logger)
        }
        let broker = try RedisClusterBroker(configuration: configuration, nodeID: nodeID, eventLoop: loop,
                                            partitions: redisPartitions, logger: logger)
        logger.info("bus on a Redis Cluster", metadata: [
            "partitions": "\(redisPartitions)", "ingress": "\(ClusterChannelNames.ingress)",
            "control": "\(ClusterChannelNames.control)",
        ])
        return broker
    }

    /// The per-user write counters: shared in Redis when the node has a bus, else this node's own.
    static func rateCounter(of broker: (any Broker)?) -> any SharedRateCounter {
        if let broker = broker as? RedisBroker { return broker.rateCounter }
        if let broker = broker as? RedisClusterBroker { return broker.rateCounter }
        return LocalRateCounter()
    }

    /// `/readyz`'s `redis` check: up, or down for less than the grace (nil for a node alone: no check).
    func readiness(of hub: Hub) -> Bool? {
        guard redisURL != nil else { return nil }
        guard let down = hub.busDownFor else { return true }
        return down < readinessGrace
    }
}
