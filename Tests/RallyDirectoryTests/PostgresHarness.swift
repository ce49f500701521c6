import Foundation
import Logging
import PostgresNIO
import RallyDirectory
import RallyTestSupport
import RallyPrivacy

/// The Postgres implementation on a fresh, migrated, seeded database; changes come through `PostgresChangeFeed`.
final class PostgresHarness: DirectoryHarness, @unchecked Sendable {
    let database: TestDatabase
    let directory: any Directory
    let live: any LiveStore
    private var feedTasks: [Task<Void, Never>] = []
    private let lock = NSLock()

    static func make(seed: DirectorySeed) async throws -> PostgresHarness {
        let database = try await TestDatabase.create()
        do {
            try await Migrations.apply(on: database.client, logger: TestDatabase.logger)
            try await PostgresSeeder(users: database.client).insert(seed)
        } catch {
            try? await database.drop()
            throw error
        }
        return PostgresHarness(database: database)
    }

    private init(database: TestDatabase) {
        self.database = database
        self.directory = PostgresDirectory(users: database.client)
        self.live = PostgresLiveStore(users: database.client, logger: TestDatabase.logger)
    }

    func apply(_ mutation: DirectoryMutation) async throws {
        try await database.client.query(PostgresMutations.query(for: mutation), logger: TestDatabase.logger)
    }

    func startRecording() async throws -> ChangeRecorder {
        let recorder = ChangeRecorder()
        let listening = AsyncStream<Void>.makeStream()
        let feed = PostgresChangeFeed(configuration: try database.url.connectionConfiguration(),
                                      backoff: ReconnectBackoff(initial: .milliseconds(20), maximum: .milliseconds(200)))
        let task = Task {
            await feed.run(onListening: { listening.continuation.yield() },
                           handle: { await recorder.record($0) })
        }
        lock.withLock { feedTasks.append(task) }
        var iterator = listening.stream.makeAsyncIterator()
        _ = await iterator.next()
        return recorder
    }

    func tearDown() async throws {
        let tasks = lock.withLock { feedTasks }
        for task in tasks {
            task.cancel()
            await task.value
        }
        try await database.drop()
    }
}

/// The SQL the product's backend would run for each mutation.
enum PostgresMutations {
    static func query(for mutation: DirectoryMutation) -> PostgresQuery {
        switch mutation {
        case .setFriendship(let row):
            return """
                INSERT INTO friendships (user_id, friend_id, status, initiated_by)
                VALUES (\(row.user), \(row.friend), \(row.status.rawValue), \(row.initiatedBy))
                ON CONFLICT (user_id, friend_id) DO UPDATE SET status = EXCLUDED.status, initiated_by = EXCLUDED.initiated_by
                """
        case .removeFriendship(let user, let friend):
            return "DELETE FROM friendships WHERE user_id = \(user) AND friend_id = \(friend)"
        case .setPrivacy(let user, let privacy):
            return "UPDATE users SET privacy_level = \(privacy.rawValue) WHERE id = \(user)"
        case .deleteUser(let user):
            return "DELETE FROM users WHERE id = \(user)"
        case .setGroupPrivacy(let group, let privacy):
            return "UPDATE groups SET privacy_level = \(privacy.rawValue) WHERE id = \(group)"
        case .addMember(let group, let user):
            return "INSERT INTO group_members (group_id, user_id) VALUES (\(group), \(user)) ON CONFLICT DO NOTHING"
        case .removeMember(let group, let user):
            return "DELETE FROM group_members WHERE group_id = \(group) AND user_id = \(user)"
        default:
            return planAndEventQuery(for: mutation)
        }
    }

    private static func planAndEventQuery(for mutation: DirectoryMutation) -> PostgresQuery {
        switch mutation {
        case .setParticipant(let plan, let participant):
            return """
                INSERT INTO plan_participants (plan_id, user_id, status) VALUES (\(plan), \(participant.user), \(participant.status))
                ON CONFLICT (plan_id, user_id) DO UPDATE SET status = EXCLUDED.status
                """
        case .removeParticipant(let plan, let user):
            return "DELETE FROM plan_participants WHERE plan_id = \(plan) AND user_id = \(user)"
        case .setPlanStatus(let plan, let status):
            return "UPDATE plans SET status = \(status) WHERE id = \(plan)"
        case .setEventVisibility(let event, let visibility):
            return "UPDATE events SET visibility = \(visibility.rawValue) WHERE id = \(event)"
        case .cancelEvent(let event):
            return "UPDATE events SET is_active = false WHERE id = \(event)"
        case .setAttendance(let event, let row):
            return """
                INSERT INTO event_attendance (user_id, event_id, status, visibility)
                VALUES (\(row.user), \(event), \(row.status), \(row.visibility.rawValue))
                ON CONFLICT (user_id, event_id) DO UPDATE SET status = EXCLUDED.status, visibility = EXCLUDED.visibility
                """
        case .removeAttendance(let event, let user):
            return "DELETE FROM event_attendance WHERE event_id = \(event) AND user_id = \(user)"
        default:
            return PostgresLiveMutations.query(for: mutation)
        }
    }
}
