import NIOCore
import NIOSSL

/// How to reach one Redis and the bounds of a connection to it. Shared by `RedisConnection` and
/// `RedisSubscriber`.
public struct RedisConfiguration: Sendable {
    public var url: RedisURL
    /// Sent as `CLIENT SETNAME` after AUTH and SELECT (visible in `CLIENT LIST`); nil sends nothing.
    public var clientName: String?
    /// TLS settings for `rediss://`. By default the system trust roots and full hostname verification. Tests may
    /// set `trustRoots = .certificates([ca])` or `certificateVerification = .none` here.
    public var tls: TLSConfiguration
    /// The hostname sent in SNI and verified; defaults to the URL's host (never sent for an IP address).
    public var tlsServerHostname: String?
    public var connectTimeout: TimeAmount
    /// Bound on the bytes an incomplete reply may buffer (see `RESPReplyDecoder`).
    public var maxPendingBytes: Int
    /// Bound on commands awaiting replies on a command connection; past it `send` fails with
    /// `RedisError.tooManyInFlightCommands` without sending.
    public var maxInFlightCommands: Int
    public var reconnectBackoff: RedisBackoff
    /// More commands for every new connection, after AUTH, SELECT and CLIENT SETNAME and before any other use,
    /// e.g. `["CLIENT", "NO-EVICT", "on"]` for a subscriber. An error reply fails the connection setup.
    public var setupCommands: [[String]]

    public init(url: RedisURL, clientName: String? = nil) {
        self.url = url
        self.clientName = clientName
        self.tls = TLSConfiguration.makeClientConfiguration()
        self.tlsServerHostname = nil
        self.connectTimeout = .seconds(5)
        self.maxPendingBytes = RESPReplyDecoder.defaultMaxPendingBytes
        self.maxInFlightCommands = 10_000
        self.reconnectBackoff = RedisBackoff()
        self.setupCommands = []
    }

    /// Parses `redis://…` / `rediss://…` (see `RedisURL`).
    public init(url text: String, clientName: String? = nil) throws {
        self.init(url: try RedisURL(text), clientName: clientName)
    }

    /// The commands that set a fresh connection up, in order: AUTH, SELECT, CLIENT SETNAME (each only if needed),
    /// then `setupCommands`.
    var handshakeCommands: [[String]] {
        var commands: [[String]] = []
        if let password = url.password {
            commands.append(url.username.map { ["AUTH", $0, password] } ?? ["AUTH", password])
        } else if let username = url.username {
            commands.append(["AUTH", username, ""])
        }
        if url.database != 0 { commands.append(["SELECT", String(url.database)]) }
        if let clientName { commands.append(["CLIENT", "SETNAME", clientName]) }
        return commands + setupCommands.filter { !$0.isEmpty }
    }
}

/// Exponential backoff with jitter between reconnect attempts: attempt n waits a random delay in
/// [base/2, base] with base = min(initial × 2^n, maximum). Never zero, so a server that accepts then drops
/// connections cannot make the client spin.
public struct RedisBackoff: Sendable, Equatable {
    public var initial: TimeAmount
    public var maximum: TimeAmount

    public init(initial: TimeAmount = .milliseconds(100), maximum: TimeAmount = .seconds(5)) {
        self.initial = TimeAmount.nanoseconds(max(initial.nanoseconds, 1_000_000))
        self.maximum = TimeAmount.nanoseconds(max(maximum.nanoseconds, self.initial.nanoseconds))
    }

    /// The delay before reconnect attempt `attempt` (0 for the first retry after a drop).
    public func delay<G: RandomNumberGenerator>(attempt: Int, using generator: inout G) -> TimeAmount {
        let base = ceiling(attempt: attempt)
        let half = base / 2
        return .nanoseconds(half + Int64.random(in: 0...(base - half), using: &generator))
    }

    public func delay(attempt: Int) -> TimeAmount {
        var generator = SystemRandomNumberGenerator()
        return delay(attempt: attempt, using: &generator)
    }

    /// min(initial × 2^attempt, maximum), in nanoseconds.
    func ceiling(attempt: Int) -> Int64 {
        let shift = min(max(attempt, 0), 40)
        let (scaled, overflow) = initial.nanoseconds.multipliedReportingOverflow(by: Int64(1) << shift)
        return overflow ? maximum.nanoseconds : min(scaled, maximum.nanoseconds)
    }
}
