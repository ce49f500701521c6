import Foundation
import PostgresNIO
import RallyDirectory

/// The SQL the product's backend would run for the live-data mutations.
enum PostgresLiveMutations {
    static func query(for mutation: DirectoryMutation) -> PostgresQuery {
        switch mutation {
        case .createEvent(let e, let capacity):
            return """
                INSERT INTO events (id, title, date_time, end_time, location_name, location_address, category, source,
                                    capacity, is_active, is_user_generated, created_by_user_id, visibility)
                VALUES (\(e.id), \(e.title), COALESCE(\(e.startsAt) AT TIME ZONE 'UTC', NOW() AT TIME ZONE 'UTC'),
                        \(e.endsAt) AT TIME ZONE 'UTC', \(e.locationName), \(e.locationAddress), 'social', 'user_generated',
                        \(capacity.map(Int32.init)), \(e.isActive), \(e.creator != nil), \(e.creator), \(e.visibility.rawValue))
                """
        case .updateEvent(let e):
            return """
                UPDATE events SET title = \(e.title), date_time = COALESCE(\(e.startsAt) AT TIME ZONE 'UTC', date_time),
                    end_time = \(e.endsAt) AT TIME ZONE 'UTC', location_name = \(e.locationName),
                    location_address = \(e.locationAddress), is_active = \(e.isActive),
                    visibility = \(e.visibility.rawValue), created_by_user_id = \(e.creator)
                WHERE id = \(e.id)
                """
        case .setEventCapacity(let event, let capacity):
            return "UPDATE events SET capacity = \(capacity.map(Int32.init)) WHERE id = \(event)"
        case .createPlan(let p):
            return """
                INSERT INTO plans (id, organizer_id, title, status, event_id, group_id, start_time)
                VALUES (\(p.id), \(p.organizer), \(p.title), \(p.status), \(p.event), \(p.group),
                        \(p.startsAt) AT TIME ZONE 'UTC')
                """
        case .insertNotification(let n):
            return """
                INSERT INTO notifications (id, user_id, type, title, message, data, is_read, created_at)
                VALUES (\(n.id), \(n.user), \(n.type), \(n.title), \(n.message), \(n.dataJSON)::JSONB, \(n.isRead),
                        \(n.createdAt) AT TIME ZONE 'UTC')
                """
        case .markNotificationRead(let id):
            return "UPDATE notifications SET is_read = true WHERE id = \(id) AND is_read IS NOT TRUE"
        default:
            return "SELECT 1"
        }
    }
}
