import NIOCore
import RallyAuth
import RallyHub
import RallyLive
import RallyWebSocket

/// Everything a node is configured with. Defaults are the production defaults unless marked (embedded); each one
/// is listed, with its `RALLY_*` variable, by `rally env` and in README.md.
public struct RallyConfiguration: Sendable {
    public enum Mode: String, Sendable, CaseIterable {
        /// One self-contained node for trying Rally: demo tokens, demo page, echo endpoint, in-memory data.
        case embedded
        /// Production: no demo tokens, echo off unless asked for, secrets required.
        case production
    }

    public var mode: Mode = .embedded
    public var server = WebSocketServerConfiguration()
    public var limits = HubLimits()
    /// Rates and limits of the live feeds (capacity coalescing, chat, replay, notifications).
    public var live = LiveSettings()
    public var jwtSecret: String?
    public var jwksPath: String?
    /// `/echo` endpoint for conformance tests (every message echoed). Default: on in embedded mode only.
    public var echoEnabled: Bool?
    public var allowAnonymous = false
    /// When set, `/metrics` answers only requests with `Authorization: Bearer <metricsToken>` (401 otherwise).
    public var metricsToken: String?
    /// The admin dashboard's secret (`/admin`, README "Admin dashboard"): `Authorization: Bearer <adminToken>` or a
    /// `service_role` token. Production serves the dashboard only when it is set.
    public var adminToken: String?
    /// Embedded mode: mint demo tokens even with a secret the node was given (they are always minted with the
    /// node's own random secret).
    public var demoTokensWithGivenSecret = false
    /// `aud` and `iss` a token must carry when set.
    public var jwtAudience: String?
    public var jwtIssuer: String?
    /// `postgres://…` of the directory behind the privacy rules (users, friendships, groups, plans; events too
    /// unless `eventsDatabaseURL` is set). Unset: the in-memory directory (demo data in embedded mode).
    public var databaseURL: String?
    /// The events database when the catalogue lives apart from user data (seed 000's split).
    public var eventsDatabaseURL: String?
    /// Origins a browser page may call the REST API from (`*`: any); nil: `*` in embedded mode, none in production.
    public var corsOrigins: [String]?
    /// The bus to other nodes (Redis); unset: a node alone.
    public var bus = BusConfiguration()
    /// Sockets this node accepts at most; past it upgrades get 503.
    public var maxConnections = 1_000_000
    /// Sockets per client IP address; past it upgrades get 429.
    public var maxConnectionsPerIP = 10_000
    /// Delay before a refused upgrade is answered (Supabase: 2 s).
    public var connectErrorDelay: TimeAmount = .seconds(2)
    /// Longest a SIGTERM drain may take before the remaining sockets are cut.
    public var drainTimeout: TimeAmount = .seconds(10)
    /// Return freed heap to the kernel (`malloc_trim`) once the open sockets fell by `mallocTrimMinimumDrop` from
    /// their high and stayed down this long; nil: never (see `IdleTrimTrigger`).
    public var mallocTrimIdle: TimeAmount? = .seconds(5)
    public var mallocTrimMinimumDrop = 1_000
    public var threads = System.coreCount
    public var logLevel = "warning"

    public init() {}

    public var isEchoEnabled: Bool { echoEnabled ?? (mode == .embedded) }

    public var effectiveCORSOrigins: [String] { corsOrigins ?? (mode == .embedded ? ["*"] : []) }

    /// The transport settings this configuration implies.
    public var effectiveServer: WebSocketServerConfiguration {
        var server = self.server
        let echoBound = 16 * 1024 * 1024
        // The hub checks `limits.maxMessageBytes` on realtime sockets; the transport's bound is raised to 16 MiB
        // only when `/echo` is on (Autobahn sends 16 MiB messages).
        server.maxMessageSize = isEchoEnabled ? max(limits.maxMessageBytes, echoBound) : limits.maxMessageBytes
        server.maxFrameSize = server.maxMessageSize
        return server
    }

    /// Refuses a configuration that cannot run (production without any key, TLS half configured).
    public func validate() throws {
        if mode == .production && jwtSecret == nil && jwksPath == nil {
            throw ConfigurationError("production mode needs RALLY_JWT_SECRET or RALLY_JWT_JWKS")
        }
        if let secret = jwtSecret, secret.utf8.count < 16 {
            throw ConfigurationError("RALLY_JWT_SECRET must be at least 16 bytes")
        }
        if mode == .embedded && !Self.isLoopback(server.host) {
            throw ConfigurationError("embedded mode listens on loopback only (it mints demo tokens), not on "
                + "\(server.host): use RALLY_HOST=127.0.0.1, or RALLY_MODE=production with your own secret or JWKS")
        }
        if threads < 1 { throw ConfigurationError("RALLY_THREADS must be at least 1") }
        if eventsDatabaseURL != nil && databaseURL == nil {
            throw ConfigurationError("RALLY_EVENTS_DATABASE_URL needs RALLY_DATABASE_URL")
        }
    }
}

extension RallyConfiguration {
    /// `localhost`, `::1` or an address in 127.0.0.0/8.
    static func isLoopback(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if bare == "localhost" || bare == "::1" { return true }
        let octets = bare.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}

public struct ConfigurationError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
