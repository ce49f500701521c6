import ArgumentParser
import Dispatch
import Foundation
import Logging
import RallyServer

/// `rally serve`: start one node. Flags override `RALLY_*` variables, which override the defaults.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Start a Rally node (embedded mode by default).")

    @Option(help: "Address to listen on (RALLY_HOST).") var host: String?
    @Option(help: "Port to listen on, 0 for any (RALLY_PORT).") var port: Int?
    @Option(help: "embedded or production (RALLY_MODE).") var mode: String?
    @Option(help: "HS256/384/512 JWT secret (RALLY_JWT_SECRET).") var jwtSecret: String?
    @Flag(inversion: .prefixedNo, help: "Serve /echo for conformance tests (RALLY_ECHO).") var echo: Bool?

    func run() async throws {
        var configuration = RallyConfiguration()
        try configuration.apply(environment: ProcessInfo.processInfo.environment)
        try applyFlags(to: &configuration)
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(rawValue: configuration.logLevel) ?? .warning
            return handler
        }
        // Signal handling is in place before the banner announces the node, so an early SIGTERM is never lost.
        let termination = TerminationSignal()
        let node = try await RallyNode.start(configuration)
        try await printBanner(node)
        await termination.wait()
        Console.write("rally: draining (closing sockets with 1012)…")
        await node.drainAndStop()
        Console.write("rally: stopped")
    }

    private func applyFlags(to configuration: inout RallyConfiguration) throws {
        if let host { configuration.server.host = host }
        if let port { configuration.server.port = port }
        if let jwtSecret { configuration.jwtSecret = jwtSecret }
        if let echo { configuration.echoEnabled = echo }
        if let mode {
            guard let parsed = RallyConfiguration.Mode(rawValue: mode) else {
                throw ValidationError("--mode must be embedded or production")
            }
            configuration.mode = parsed
        }
    }

    private func printBanner(_ node: RallyNode) async throws {
        var lines = ["rally: listening on \(node.httpURL)", "rally: realtime \(node.realtimeURL)"]
        if node.configuration.isEchoEnabled {
            lines.append("rally: echo \(node.realtimeURL.replacingOccurrences(of: "/realtime/v1/websocket", with: "/echo"))")
        }
        if let minter = node.demoTokens {
            lines.append("rally: embedded mode — demo page at \(node.httpURL): open \(node.httpURL)?as=alice and "
                         + "\(node.httpURL)?as=bob in two tabs (then ?as=dave)")
            for role in ["authenticated", "anon", "service_role"] {
                let minted = try await minter.token(role: role)
                lines.append("rally: demo \(role) token (24 h)\(minted.userID.map { " for user \($0)" } ?? ""): \(minted.token)")
            }
        }
        lines.append(try await adminLine(node))
        Console.write(lines.joined(separator: "\n"))
    }
}

/// Where the admin dashboard is (README "Admin dashboard"): in embedded mode, a link that signs in with a
/// `service_role` token (the fragment never reaches the server).
private func adminLine(_ node: RallyNode) async throws -> String {
    let page = "\(node.httpURL)admin"
    if let minter = node.demoTokens {
        return "rally: admin dashboard \(page)#token=\(try await minter.token(role: "service_role").token)"
    }
    if node.configuration.mode == .embedded || node.configuration.adminToken != nil {
        return "rally: admin dashboard \(page) (sign in with RALLY_ADMIN_TOKEN or a service_role token)"
    }
    return "rally: admin dashboard off (production without RALLY_ADMIN_TOKEN)"
}

/// SIGTERM/SIGINT as an awaitable event. The handlers are installed at init, and a signal that arrives before
/// `wait()` is remembered.
final class TerminationSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var arrived = false
    private var continuation: CheckedContinuation<Void, Never>?

    init() {
        for signalNumber in [SIGTERM, SIGINT] {
            signal(signalNumber, SIG_IGN)   // the dispatch source, not the default action, handles it
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [self] in fire() }
            source.resume()
            SignalSources.keep(source)
        }
    }

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            lock.lock()
            if arrived {
                lock.unlock()
                continuation.resume()
            } else {
                self.continuation = continuation
                lock.unlock()
            }
        }
    }

    private func fire() {
        lock.lock()
        arrived = true
        let pending = continuation
        continuation = nil
        lock.unlock()
        pending?.resume()
    }
}

/// Keeps the signal sources alive for the life of the process.
enum SignalSources {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []
    static func keep(_ source: DispatchSourceSignal) { sources.append(source) }
}
