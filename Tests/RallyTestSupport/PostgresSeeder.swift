import Foundation
import Logging
import PostgresNIO
import RallyDirectory

/// Writes a `DirectorySeed` (the demo data, test fixtures) into migrated databases. Rows that exist are left as
/// they are (`ON CONFLICT DO NOTHING`), so seeding twice is harmless. Columns Rally does not read get
/// placeholders (`<id>@rally.invalid` emails, a date a week ahead, …).
public struct PostgresSeeder: Sendable {
    let users: PostgresClient
    let events: PostgresClient
    let logger: Logger

    public init(users: PostgresClient, events: PostgresClient? = nil,
                logger: Logger = Logger(label: "rally.seeder")) {
        self.users = users
        self.events = events ?? users
        self.logger = logger
    }

    public func insert(_ seed: DirectorySeed) async throws {
        for user in seed.users {
            let email = "\(user.id.uuidString.lowercased())@rally.invalid"
            try await users.query("""
                INSERT INTO users (id, email, full_name, privacy_level)
                VALUES (\(user.id), \(email), \(user.name), \(user.privacy.rawValue)) ON CONFLICT DO NOTHING
                """, logger: logger)
        }
        for row in seed.friendships {
            try await users.query("""
                INSERT INTO friendships (user_id, friend_id, status, initiated_by)
                VALUES (\(row.user), \(row.friend), \(row.status.rawValue), \(row.initiatedBy)) ON CONFLICT DO NOTHING
                """, logger: logger)
        }
        for group in seed.groups { try await insert(group) }
        // Events before plans: with one database, `plans.event_id` references `events`.
        for event in seed.events { try await insert(event) }
        for plan in seed.plans { try await insert(plan) }
        for notification in seed.notifications { try await insert(notification) }
    }

    private func insert(_ group: DirectorySeed.Group) async throws {
        try await users.query("""
            INSERT INTO groups (id, name, created_by, privacy_level)
            VALUES (\(group.id), \(group.name), \(group.createdBy), \(group.privacy.rawValue)) ON CONFLICT DO NOTHING
            """, logger: logger)
        for member in group.members {
            try await users.query("""
                INSERT INTO group_members (group_id, user_id) VALUES (\(group.id), \(member)) ON CONFLICT DO NOTHING
                """, logger: logger)
        }
    }

    private func insert(_ plan: DirectorySeed.Plan) async throws {
        try await users.query("""
            INSERT INTO plans (id, organizer_id, title, status, event_id, group_id, start_time)
            VALUES (\(plan.id), \(plan.organizer), \(plan.title), \(plan.status), \(plan.event), \(plan.group),
                    \(plan.startsAt) AT TIME ZONE 'UTC')
            ON CONFLICT DO NOTHING
            """, logger: logger)
        for participant in plan.participants {
            try await users.query("""
                INSERT INTO plan_participants (plan_id, user_id, status)
                VALUES (\(plan.id), \(participant.user), \(participant.status)) ON CONFLICT DO NOTHING
                """, logger: logger)
        }
    }

    private func insert(_ event: DirectorySeed.Event) async throws {
        let source = event.creator == nil ? "catalogue" : "user_generated"
        let capacity = event.capacity.map(Int32.init)
        try await events.query("""
            INSERT INTO events (id, title, date_time, end_time, location_name, location_address, category, source,
                                capacity, is_user_generated, created_by_user_id, visibility)
            VALUES (\(event.id), \(event.title),
                    COALESCE(\(event.startsAt) AT TIME ZONE 'UTC', NOW() AT TIME ZONE 'UTC' + INTERVAL '7 days'),
                    \(event.endsAt) AT TIME ZONE 'UTC', \(event.locationName), \(event.locationAddress), 'social',
                    \(source), \(capacity), \(event.creator != nil), \(event.creator), \(event.visibility.rawValue))
            ON CONFLICT DO NOTHING
            """, logger: logger)
        for row in event.attendance {
            try await events.query("""
                INSERT INTO event_attendance (user_id, event_id, status, visibility)
                VALUES (\(row.user), \(event.id), \(row.status), \(row.visibility.rawValue)) ON CONFLICT DO NOTHING
                """, logger: logger)
        }
    }

    private func insert(_ notification: NotificationRecord) async throws {
        try await users.query("""
            INSERT INTO notifications (id, user_id, type, title, message, data, is_read, created_at)
            VALUES (\(notification.id), \(notification.user), \(notification.type), \(notification.title),
                    \(notification.message), \(notification.dataJSON)::JSONB, \(notification.isRead),
                    \(notification.createdAt) AT TIME ZONE 'UTC')
            ON CONFLICT DO NOTHING
            """, logger: logger)
    }
}
