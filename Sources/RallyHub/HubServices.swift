import Foundation
import Logging
import NIOCore
import RallyAuth
import RallyBus
import RallyProtocol
import RallyWebSocket
import Synchronization

/// Everything a socket needs from the node, shared by all sockets. Immutable but for the drain flag.
public final class HubServices: Sendable {
    public let hub: Hub
    public let verifier: TokenVerifier
    public let authorizer: TopicAuthorizer
    /// The node's live inputs per topic (capacity, chat, notifications …); `NoFeeds` when there are none.
    public let feeds: TopicFeeds
    public let limits: HubLimits
    public let metrics: HubMetrics
    public let connections: ConnectionTracker
    /// The per-user write limit, one gate per event loop (index as in `hub.loops`).
    let userGates: [UserRateGate]
    /// The per-channel write limits of REST publishes, one table per event loop.
    let restWriteBuckets: [RESTWriteBuckets]
    public let logger: Logger
    /// Wall clock for token expiry; injectable for tests.
    public let now: @Sendable () -> Date
    private let draining = Atomic<Bool>(false)

    public init(hub: Hub, verifier: TokenVerifier, authorizer: TopicAuthorizer, feeds: TopicFeeds = NoFeeds(),
                limits: HubLimits = HubLimits(),
                metrics: HubMetrics = HubMetrics(), logger: Logger = Logger(label: "rally.hub"),
                rateCounter: any SharedRateCounter = LocalRateCounter(),
                now: @escaping @Sendable () -> Date = Date.init) {
        self.hub = hub
        self.verifier = verifier
        self.authorizer = authorizer
        self.feeds = feeds
        hub.cluster?.setRemoteAudience { sender, topic in feeds.audience(ofRemoteSender: sender, topic: topic) }
        hub.cluster?.maxServicePayloadBytes = limits.maxBroadcastPayloadBytes
        self.limits = limits
        self.metrics = metrics
        self.connections = ConnectionTracker(loops: hub.loops)
        self.userGates = hub.loops.map { UserRateGate(loop: $0, limit: limits.userRate, counter: rateCounter) }
        self.restWriteBuckets = hub.loops.map { RESTWriteBuckets(loop: $0) }
        self.logger = logger
        self.now = now
    }

    public var isDraining: Bool { draining.load(ordering: .relaxed) }

    /// Cuts every socket still open (past a drain's bound): its TCP connection is closed at once, on its own loop.
    public func abortAll() -> EventLoopFuture<Void> {
        connections.forEachConnection(on: hub.loops[0]) { connection in
            connection.transport?.abort()
            return connection.eventLoop.makeSucceededVoidFuture()
        }
    }

    /// Refuses new joins from now on, then closes every socket with 1012 in batches.
    public func drain() -> EventLoopFuture<Void> {
        draining.store(true, ordering: .relaxed)
        let loop = hub.loops[0]
        return connections.closeAll(code: RallyCloseCode.serviceRestart, reason: "server restarting",
                                    batchSize: limits.drainBatchSize, interval: limits.drainBatchInterval, on: loop)
    }

    /// A new connection for a socket whose connect token verified as `identity`.
    public func makeConnection(on loop: EventLoop, version: ProtocolVersion, token: String,
                               identity: Identity) -> ClientConnection {
        ClientConnection(services: self, eventLoop: loop, version: version, connectToken: token,
                         connectIdentity: identity)
    }
}
