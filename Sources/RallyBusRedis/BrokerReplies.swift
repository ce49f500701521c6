import NIOCore
import RallyBus
import RallyRedis

/// What both Redis brokers make of Redis's answers, in the Broker seam's terms.
enum BrokerReplies {
    /// Why a PUBLISH (or SPUBLISH) was not taken, or nil when Redis took it.
    static func publishFailure(_ result: Result<RESPValue, any Error>) -> String? {
        switch result {
        case .success(let reply): return reply.errorMessage
        case .failure(let error): return "\(error)"
        }
    }

    /// A subscription's outcome: confirmed, or `BusError` (shut down, or unavailable: the join may retry).
    static func subscription(_ confirmed: EventLoopFuture<Void>) -> EventLoopFuture<Void> {
        confirmed.flatMapErrorThrowing { error in
            throw error as? RedisError == .shutDown ? BusError.shutDown : BusError.unavailable
        }
    }
}
