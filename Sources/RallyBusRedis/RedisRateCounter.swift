import NIOCore
import RallyBus
import RallyRedis

/// The shared counters in Redis: one script call adds every increment atomically and returns the totals; a key
/// expires `window` after its first increment. All keys of one call must live on one Redis (standalone).
public struct RedisRateCounter: SharedRateCounter {
    let connection: RedisConnection

    static let script = """
        local totals = {}
        for i, key in ipairs(KEYS) do
          local total = redis.call('INCRBY', key, ARGV[i + 1])
          if total == tonumber(ARGV[i + 1]) then redis.call('PEXPIRE', key, ARGV[1]) end
          totals[i] = total
        end
        return totals
        """

    public init(connection: RedisConnection) {
        self.connection = connection
    }

    public func add(_ increments: [String: Int], window: TimeAmount, on loop: EventLoop)
        -> EventLoopFuture<[String: Int]> {
        let entries = increments.filter { $0.value > 0 }.sorted { $0.key < $1.key }
        guard !entries.isEmpty else { return loop.makeSucceededFuture([:]) }
        var arguments = ["EVAL", Self.script, String(entries.count)] + entries.map(\.key)
        arguments.append(String(max(1, window.nanoseconds / 1_000_000)))
        arguments += entries.map { String($0.value) }
        return connection.send(arguments).flatMapThrowing { reply -> [String: Int] in
            guard let values = reply.array, values.count == entries.count else {
                throw RedisError.errorReply(reply.errorMessage ?? "unexpected reply to the rate script")
            }
            var totals: [String: Int] = [:]
            for (entry, value) in zip(entries, values) { totals[entry.key] = value.int }
            return totals
        }.hop(to: loop)
    }
}
