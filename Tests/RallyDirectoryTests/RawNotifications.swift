import Foundation
import PostgresNIO
import RallyDirectory
import RallyTestSupport

/// Listens on `rally_changes` with a plain connection and returns the raw payloads of the notifications caused
/// by `perform`, stopping at `count` payloads or after the deadline. The rows of `postgres_changes` (`"kind":"row"`)
/// are left out, or, with `rows`, are all that is collected (they follow every change of a served table).
enum RawNotifications {
    struct Timeout: Error {}

    static func collect(on database: TestDatabase, count: Int, seconds: Double = 5, rows: Bool = false,
                        perform: @Sendable () async throws -> Void) async throws -> [String] {
        let connection = try await PostgresConnection.connect(
            configuration: try database.url.connectionConfiguration(), id: 1, logger: TestDatabase.logger)
        defer { Task { try? await connection.close() } }
        return try await connection.listen(on: PostgresChangeFeed.channel) { notifications in
            try await perform()
            return try await withThrowingTaskGroup(of: [String].self) { group in
                group.addTask {
                    var payloads: [String] = []
                    for try await notification in notifications {
                        if notification.payload.contains(#""kind": "row""#) != rows { continue }
                        payloads.append(notification.payload)
                        if payloads.count == count { break }
                    }
                    return payloads
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(seconds))
                    throw Timeout()
                }
                let first = try await group.next() ?? []
                group.cancelAll()
                return first
            }
        }
    }
}
