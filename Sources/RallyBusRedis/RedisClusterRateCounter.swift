import NIOCore
import RallyBus
import RallyRedis

/// The shared counters on a Redis Cluster: the keys of one call may live on different shards (one script over
/// all of them would be refused as CROSSSLOT), so each key gets its own script call, routed to the primary of
/// its slot, and the calls run concurrently. Each key is atomic on its own; a key expires `window` after its
/// first increment.
public struct RedisClusterRateCounter: SharedRateCounter {
    let cluster: RedisCluster

    static let script = """
        local total = redis.call('INCRBY', KEYS[1], ARGV[2])
        if total == tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
        return total
        """

    public init(cluster: RedisCluster) {
        self.cluster = cluster
    }

    public func add(_ increments: [String: Int], window: TimeAmount, on loop: EventLoop)
        -> EventLoopFuture<[String: Int]> {
        let milliseconds = String(max(1, window.nanoseconds / 1_000_000))
        let calls = increments.filter { $0.value > 0 }.map { key, increment in
            cluster.send(["EVAL", Self.script, "1", key, milliseconds, String(increment)], key: key)
                .flatMapThrowing { reply -> (String, Int) in
                    guard let total = reply.int, reply.errorMessage == nil else {
                        throw RedisError.errorReply(reply.errorMessage ?? "unexpected reply to the rate script")
                    }
                    return (key, total)
                }
        }
        guard !calls.isEmpty else { return loop.makeSucceededFuture([:]) }
        return EventLoopFuture.whenAllSucceed(calls, on: cluster.eventLoop)
            .map { Dictionary($0, uniquingKeysWith: { $1 }) }
            .hop(to: loop)
    }
}
