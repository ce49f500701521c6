import Foundation
import Logging
import PostgresNIO

/// Delays between reconnection attempts: doubling from `initial` up to `maximum`.
public struct ReconnectBackoff: Sendable, Hashable {
    public var initial: Duration
    public var maximum: Duration

    public init(initial: Duration = .milliseconds(100), maximum: Duration = .seconds(5)) {
        self.initial = initial
        self.maximum = maximum
    }

    /// The delay before attempt `attempt` (0 for the first retry).
    public func delay(attempt: Int) -> Duration {
        let factor = 1 << min(max(attempt, 0), 30)
        return min(maximum, initial * factor)
    }
}

/// The dedicated LISTEN connection: receives `rally_changes` notifications from one database and hands each to a
/// handler as a `DirectoryChange`. A lost connection is reconnected with backoff; after every reconnect the
/// handler first gets `.resync` (notifications sent while disconnected are lost, so everything must be
/// re-checked). Payloads Rally does not know are logged and skipped.
public struct PostgresChangeFeed: Sendable {
    public static let channel = "rally_changes"

    public var configuration: PostgresConnection.Configuration
    public var backoff: ReconnectBackoff
    public var logger: Logger

    public init(configuration: PostgresConnection.Configuration, backoff: ReconnectBackoff = ReconnectBackoff(),
                logger: Logger = Logger(label: "rally.changes")) {
        self.configuration = configuration
        self.backoff = backoff
        self.logger = logger
    }

    /// Listens until the task is cancelled. `onListening` runs each time LISTEN is registered (from then on no
    /// change can be missed); `onLost` each time a registered LISTEN connection is lost (changes may be missed
    /// until the next `.resync`); `handle` runs for every change, in order.
    public func run(onListening: @Sendable () async -> Void = {}, onLost: @Sendable () async -> Void = {},
                    handle: @Sendable (DirectoryChange) async -> Void) async {
        var attempt = 0
        var connections = 0
        var listenedBefore = false
        var listening = false
        while !Task.isCancelled {
            connections += 1
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: configuration, id: connections, logger: logger)
                do {
                    try await connection.listen(on: Self.channel) { notifications in
                        attempt = 0
                        listening = true
                        await onListening()
                        if listenedBefore { await handle(.resync) }
                        listenedBefore = true
                        for try await notification in notifications {
                            await deliver(notification.payload, to: handle)
                        }
                    }
                } catch {
                    try? await connection.close()
                    throw error
                }
                try? await connection.close()
            } catch {
                if Task.isCancelled { break }
                logger.warning("change feed connection lost", metadata: ["error": "\(String(reflecting: error))"])
            }
            if listening {
                listening = false
                await onLost()
            }
            try? await Task.sleep(for: backoff.delay(attempt: attempt))
            attempt += 1
        }
    }

    private func deliver(_ payload: String, to handle: @Sendable (DirectoryChange) async -> Void) async {
        do {
            await handle(try DirectoryChange.parse(payload: payload))
        } catch {
            logger.warning("unknown change payload skipped", metadata: ["payload": "\(payload.prefix(200))"])
        }
    }
}
