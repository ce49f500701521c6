import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RallyAuth
import RallyBus
import RallyBusRedis
import RallyDirectory
import RallyHub
import RallyLive
import RallyWebSocket

/// One running Rally node: event loops, hub, HTTP/WebSocket server. `start` binds; `drainAndStop` is the SIGTERM
/// path (stop accepting, refuse joins, close sockets with 1012 in batches, then stop).
public final class RallyNode: Sendable {
    public let configuration: RallyConfiguration
    public let services: HubServices
    public let port: Int
    /// Embedded mode: mints demo tokens; nil in production.
    public let demoTokens: DemoTokenMinter?
    /// The directory and rules deciding who may join what, and their live revocation.
    public let access: AccessRuntime
    private let group: MultiThreadedEventLoopGroup
    private let server: WebSocketServer
    private let logger: Logger
    private let trimmer: IdleTrimmer

    private init(configuration: RallyConfiguration, services: HubServices, port: Int, demoTokens: DemoTokenMinter?,
                 access: AccessRuntime, group: MultiThreadedEventLoopGroup, server: WebSocketServer, logger: Logger,
                 trimmer: IdleTrimmer) {
        self.configuration = configuration
        self.services = services
        self.port = port
        self.demoTokens = demoTokens
        self.access = access
        self.group = group
        self.server = server
        self.logger = logger
        self.trimmer = trimmer
    }

    public static func start(_ configuration: RallyConfiguration, logger: Logger = Logger(label: "rally"))
        async throws -> RallyNode {
        var configuration = configuration
        try configuration.validate()
        // Demo tokens are minted with the node's own random secret only, unless asked for with a given one.
        var mintsDemoTokens = configuration.mode == .embedded && configuration.demoTokensWithGivenSecret
            && configuration.jwtSecret != nil
        if configuration.mode == .embedded && configuration.jwtSecret == nil && configuration.jwksPath == nil {
            configuration.jwtSecret = Self.randomSecret()
            mintsDemoTokens = true
        }
        let metrics = MetricsEndpoint.bootstrapOnce()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: configuration.threads)
        let verifier = try await TokenVerifier(configuration: AuthConfiguration(
            jwtSecret: configuration.jwtSecret, jwksPath: configuration.jwksPath,
            claimRules: ClaimRules(audience: configuration.jwtAudience, issuer: configuration.jwtIssuer)))
        let access = try await AccessRuntime.make(configuration, logger: logger)
        let broker = try configuration.bus.makeBroker(on: group.next(), logger: logger)
        let hub = Hub(loops: Array(group.makeIterator()), broker: broker, cluster: configuration.bus.cluster,
                      logger: logger)
        let live = LiveFeeds(hub: hub, directory: access.directory, store: access.liveStore,
                             settings: configuration.live, changeFeeds: access.changeFeedCount, logger: logger)
        let services = HubServices(hub: hub, verifier: verifier, authorizer: access.authorizer, feeds: live,
                                   limits: configuration.limits, logger: logger,
                                   rateCounter: BusConfiguration.rateCounter(of: broker))
        let minter = mintsDemoTokens
            ? DemoTokenMinter(tokens: DemoTokens(verifier: verifier, lifetime: 24 * 3600)) : nil
        let delegate = RallyHTTPDelegate(
            configuration: configuration, services: services, metrics: metrics,
            demo: try minter.map { minter in
                try DemoEndpoints(tokens: minter.tokens, directory: access.directory, actions:
                    (access.directory as? InMemoryDirectory).map { DemoActions(directory: $0, services: services) })
            },
            readiness: { [bus = configuration.bus] loop in
                access.readiness(on: loop, live: live).map { checks in
                    var checks = checks
                    checks["redis"] = bus.readiness(of: hub)
                    return checks
                }
            })
        let server = WebSocketServer(configuration: configuration.effectiveServer, group: group, delegate: delegate,
                                     acceptFailed: MetricsEndpoint.acceptFailed,
                                     ceilingReached: MetricsEndpoint.acceptCeilingReached)
        do {
            try access.startChangeFeeds(services: services, live: live)
            let port = try await server.start()
            startBus(hub, logger: logger)
            let trimmer = IdleTrimmer.start(
                idle: configuration.mallocTrimIdle, minimumDrop: configuration.mallocTrimMinimumDrop, on: group.next(),
                connections: { [connections = services.connections] in connections.count }, logger: logger)
            return RallyNode(configuration: configuration, services: services, port: port, demoTokens: minter,
                             access: access, group: group, server: server, logger: logger, trimmer: trimmer)
        } catch {
            await access.stop()
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// `ws://host:port/realtime/v1/websocket` (or `wss://` with TLS).
    public var realtimeURL: String {
        let scheme = configuration.server.tls == nil ? "ws" : "wss"
        return "\(scheme)://\(configuration.server.host):\(port)/realtime/v1/websocket"
    }

    public var httpURL: String {
        let scheme = configuration.server.tls == nil ? "http" : "https"
        return "\(scheme)://\(configuration.server.host):\(port)/"
    }

    /// Shuts down in order: stop accepting, refuse new joins and close every socket with 1012 in batches, wait for
    /// the sockets to be gone (sockets still open after `drainTimeout` are cut), stop the change feeds and pools,
    /// and only then the event loops, so nothing is left to schedule work on a loop that has stopped.
    public func drainAndStop() async {
        trimmer.stop()
        await server.stopAccepting()
        let deadline = NIODeadline.now() + configuration.drainTimeout
        await closeSockets(until: deadline)
        if services.connections.count > 0 {
            try? await services.abortAll().get()
            await waitForSockets(until: NIODeadline.now() + .seconds(1))
        }
        try? await services.hub.stopBus().get()
        await access.stop()
        try? await group.shutdownGracefully()
    }

    /// Issues the 1012 closes (in batches) and waits until every socket is gone or `deadline` passes.
    private func closeSockets(until deadline: NIODeadline) async {
        let loop = group.any()
        let finished = loop.makePromise(of: Void.self)
        let once = NIOLockedValueBox(false)
        let finish: @Sendable () -> Void = {
            if once.withLockedValue({ done in defer { done = true }; return !done }) { finished.succeed(()) }
        }
        let timeout = loop.scheduleTask(deadline: deadline, finish)
        services.drain().whenComplete { _ in
            timeout.cancel()
            finish()
        }
        try? await finished.futureResult.get()
        await waitForSockets(until: deadline)
    }

    /// Polls the socket count until it is zero or `deadline` passes (closing handshakes finish on their own).
    private func waitForSockets(until deadline: NIODeadline) async {
        while services.connections.count > 0, NIODeadline.now() < deadline {
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
    }

    /// Joins the bus without holding up the start: while Redis is unreachable the node serves its own sockets,
    /// refuses joins that need the bus with a retryable error, and `/readyz` fails after the grace.
    private static func startBus(_ hub: Hub, logger: Logger) {
        guard hub.nodeID != 0 else { return }
        logger.notice("joining the bus", metadata: ["node": "\(String(hub.nodeID, radix: 16))"])
        hub.startBus().whenComplete { result in
            switch result {
            case .success: logger.notice("bus connected")
            case .failure(let error): logger.error("bus failed to start", metadata: ["error": "\(error)"])
            }
        }
    }

    private static func randomSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}

/// Demo tokens of an embedded node (printed at startup, served to the demo page).
public struct DemoTokenMinter: Sendable {
    let tokens: DemoTokens

    /// A token string for `role` (`authenticated` gets a fresh user id; `anon`, `service_role` none).
    public func token(role: String) async throws -> (token: String, userID: String?) {
        let minted = try await tokens.mint(role: role)
        return (minted.token, minted.subject)
    }
}
