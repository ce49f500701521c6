import ArgumentParser
import Foundation
import Logging
import RallyServer

@main
struct Rally: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rally",
        abstract: "Rally: a realtime WebSocket hub speaking the Supabase Realtime / Phoenix Channels protocol.",
        subcommands: [Serve.self, Env.self, Migrate.self],
        defaultSubcommand: Serve.self)
}

/// Prints every `RALLY_*` variable with its default (the README's configuration table comes from this).
struct Env: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List every RALLY_* environment variable.")

    @Flag(help: "Print a Markdown table.") var markdown = false

    func run() {
        var lines: [String] = markdown ? ["| variable | default | meaning |", "|---|---|---|"] : []
        for setting in EnvironmentSetting.all {
            lines.append(markdown
                ? "| `\(setting.name)` | \(setting.defaultValue) | \(setting.summary) |"
                : "\(setting.name.padding(toLength: 30, withPad: " ", startingAt: 0)) \(setting.defaultValue) — \(setting.summary)")
        }
        Console.write(lines.joined(separator: "\n"))
    }
}

/// Applies Rally's schema and NOTIFY triggers to `RALLY_DATABASE_URL` (and `RALLY_EVENTS_DATABASE_URL`).
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create the tables and triggers Rally reads in RALLY_DATABASE_URL (idempotent).")

    func run() async throws {
        var configuration = RallyConfiguration()
        try configuration.apply(environment: ProcessInfo.processInfo.environment)
        let applied = try await DatabaseMigration.run(configuration)
        Console.write(applied.isEmpty ? "rally: schema up to date"
                                      : "rally: applied \(applied.joined(separator: ", "))")
    }
}

/// Writes to standard output (startup banner, listings). Logs go through swift-log.
enum Console {
    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }
}
