import Foundation
import NIOCore
import RallyDirectory
import RallyWebSocket

/// Every `RALLY_*` variable: its name, what it sets, its default, and how it is parsed. One table, read in one
/// place (`apply`), printed by `rally env`; a malformed value is an error, never silently ignored.
public struct EnvironmentSetting: Sendable {
    public let name: String
    public let defaultValue: String
    public let summary: String
    let apply: @Sendable (inout RallyConfiguration, String) throws -> Void

    public static let all: [EnvironmentSetting] = network + security + database + bus + limits + live + operations
}

extension RallyConfiguration {
    /// Applies every `RALLY_*` variable present in `environment`.
    public mutating func apply(environment: [String: String]) throws {
        for setting in EnvironmentSetting.all {
            guard let raw = environment[setting.name] else { continue }
            do { try setting.apply(&self, raw.trimmingCharacters(in: .whitespaces)) } catch {
                throw ConfigurationError("\(setting.name)=\(raw): \(error)")
            }
        }
    }
}

enum Parse {
    static func int(_ raw: String) throws -> Int {
        guard let value = Int(raw), value >= 0 else { throw ConfigurationError("expected a non-negative integer") }
        return value
    }

    static func bool(_ raw: String) throws -> Bool {
        switch raw.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw ConfigurationError("expected true or false")
        }
    }

    static func milliseconds(_ raw: String) throws -> TimeAmount { .milliseconds(Int64(try int(raw))) }

    static func nonEmpty(_ raw: String) throws -> String {
        guard !raw.isEmpty else { throw ConfigurationError("must not be empty") }
        return raw
    }
}

extension EnvironmentSetting {
    init(_ name: String, _ defaultValue: String, _ summary: String,
         _ apply: @escaping @Sendable (inout RallyConfiguration, String) throws -> Void) {
        self.name = name
        self.defaultValue = defaultValue
        self.summary = summary
        self.apply = apply
    }

    static let network: [EnvironmentSetting] = [
        .init("RALLY_HOST", "127.0.0.1", "address to listen on (embedded mode: loopback only)") { $0.server.host = try Parse.nonEmpty($1) },
        .init("RALLY_PORT", "4000", "port to listen on (0: any free port)") { $0.server.port = try Parse.int($1) },
        .init("RALLY_THREADS", "number of cores", "event loop threads") { $0.threads = try Parse.int($1) },
        .init("RALLY_TLS_CERT", "unset", "PEM certificate chain file; with RALLY_TLS_KEY serves wss:// and https://") {
            config, value in
            config.server.tls = TLSFiles(certificateChainPath: value, privateKeyPath: config.server.tls?.privateKeyPath ?? "")
        },
        .init("RALLY_TLS_KEY", "unset", "PEM private key file for RALLY_TLS_CERT") { config, value in
            config.server.tls = TLSFiles(certificateChainPath: config.server.tls?.certificateChainPath ?? "",
                                         privateKeyPath: value)
        },
    ]

    static let security: [EnvironmentSetting] = [
        .init("RALLY_MODE", "embedded", "embedded (demo tokens, demo page, echo) or production") {
            guard let mode = RallyConfiguration.Mode(rawValue: $1) else {
                throw ConfigurationError("expected embedded or production")
            }
            $0.mode = mode
        },
        .init("RALLY_JWT_SECRET", "random (embedded)", "HS256/384/512 secret for JWTs (≥ 16 bytes)") {
            $0.jwtSecret = try Parse.nonEmpty($1)
        },
        .init("RALLY_JWT_JWKS", "unset", "JWKS file with RS*/ES* (or HS with kid) verification keys") {
            $0.jwksPath = try Parse.nonEmpty($1)
        },
        .init("RALLY_JWT_AUDIENCE", "unset (not checked)", "tokens must carry this `aud` (string or in the array)") {
            $0.jwtAudience = try Parse.nonEmpty($1)
        },
        .init("RALLY_JWT_ISSUER", "unset (not checked)", "tokens must carry this `iss`") {
            $0.jwtIssuer = try Parse.nonEmpty($1)
        },
        .init("RALLY_DEMO_TOKENS", "false",
              "embedded mode with RALLY_JWT_SECRET: mint demo tokens (/demo/token, banner) with that secret too") {
            $0.demoTokensWithGivenSecret = try Parse.bool($1)
        },
        .init("RALLY_METRICS_TOKEN", "unset (open)", "/metrics requires `Authorization: Bearer <token>` (else 401)") {
            $0.metricsToken = try Parse.nonEmpty($1)
        },
        .init("RALLY_ADMIN_TOKEN", "unset",
              "secret for the /admin dashboard (≥ 16 characters); production serves /admin only when set") {
            guard $1.utf8.count >= 16 else { throw ConfigurationError("must be at least 16 characters") }
            $0.adminToken = $1
        },
        .init("RALLY_CORS_ORIGINS", "* in embedded, else none",
              "origins (comma list, `*`: any) whose pages may call /api/broadcast; others get no CORS headers") {
            $0.corsOrigins = $1.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }
        },
        .init("RALLY_ALLOW_ANON", "false", "let `anon` tokens join free-form rooms") {
            $0.allowAnonymous = try Parse.bool($1)
        },
        .init("RALLY_ECHO", "true in embedded, else false", "serve the /echo endpoint (conformance tests)") {
            $0.echoEnabled = try Parse.bool($1)
        },
    ]

    static let database: [EnvironmentSetting] = [
        .init("RALLY_DATABASE_URL", "unset (in-memory directory)",
              "postgres://user:pass@host:port/db (sslmode disable, prefer or require): the directory behind the privacy rules") {
            _ = try DatabaseURL($1)
            $0.databaseURL = $1
        },
        .init("RALLY_EVENTS_DATABASE_URL", "unset (events in RALLY_DATABASE_URL)",
              "a separate events database (events, event_attendance), as in seed 000") {
            _ = try DatabaseURL($1)
            $0.eventsDatabaseURL = $1
        },
    ]
}

/// The defaults `rally env` prints, read from the configuration types themselves (`HubLimits`,
/// `WebSocketServerConfiguration`, `LiveSettings`, `RallyConfiguration`): each default is written once, there.
enum Default {
    static let node = RallyConfiguration()

    static func int(_ field: KeyPath<RallyConfiguration, Int>) -> String { String(node[keyPath: field]) }

    /// A whole-number rate (per second).
    static func rate(_ field: KeyPath<RallyConfiguration, Double>) -> String { String(Int(node[keyPath: field])) }

    static func milliseconds(_ field: KeyPath<RallyConfiguration, TimeAmount>) -> String {
        String(node[keyPath: field].nanoseconds / 1_000_000)
    }

    static func milliseconds(_ field: KeyPath<RallyConfiguration, TimeAmount?>) -> String {
        String((node[keyPath: field]?.nanoseconds ?? 0) / 1_000_000)
    }
}
