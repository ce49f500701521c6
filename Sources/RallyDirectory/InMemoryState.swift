import Foundation
import RallyPrivacy

/// The rows of an `InMemoryDirectory`, shaped like the Postgres tables.
struct InMemoryState {
    struct GroupRow {
        var privacy: PrivacyLevel
        var createdBy: UUID
    }

    struct PlanRow {
        var organizer: UUID
        var status: String
        var title = ""
        var event: UUID?
        var group: UUID?
        var startsAt: Date?
    }

    struct EventRow: Equatable {
        var creator: UUID?
        var visibility: ItemVisibility
        var isActive: Bool
        var capacity: Int?
        var title = ""
        var startsAt: Date?
        var endsAt: Date?
        var locationName = ""
        var locationAddress: String?
    }

    var users: [UUID: PrivacyLevel] = [:]
    /// Keyed by (`user_id`, `friend_id`) as stored; a pair may have a row in each direction.
    var friendships: [Pair: DirectorySeed.Friendship] = [:]
    var groups: [UUID: GroupRow] = [:]
    var members: [UUID: Set<UUID>] = [:]
    var plans: [UUID: PlanRow] = [:]
    /// plan → user → status.
    var participants: [UUID: [UUID: String]] = [:]
    var events: [UUID: EventRow] = [:]
    /// event → user → attendance.
    var attendance: [UUID: [UUID: DirectorySeed.Attendance]] = [:]
    var notifications: [UUID: NotificationRecord] = [:]
    /// group → its chat messages in id order.
    var messages: [UUID: [StoredMessage]] = [:]
    /// message id → its group.
    var messageGroups: [Int64: UUID] = [:]
    /// The last message id drawn (ids are global, like the bigserial).
    var lastMessageID: Int64 = 0
    /// The last message's `created_at`: each next one is later, so timestamps grow with ids.
    var lastMessageDate = Date.distantPast

    mutating func load(_ seed: DirectorySeed) {
        for user in seed.users { users[user.id] = user.privacy }
        for row in seed.friendships { friendships[Pair(row.user, row.friend)] = row }
        for group in seed.groups {
            groups[group.id] = GroupRow(privacy: group.privacy, createdBy: group.createdBy)
            members[group.id] = Set(group.members)
        }
        for plan in seed.plans { insert(plan) }
        for event in seed.events { insert(event) }
        for notification in seed.notifications { notifications[notification.id] = notification }
    }

    mutating func insert(_ plan: DirectorySeed.Plan) {
        plans[plan.id] = PlanRow(organizer: plan.organizer, status: plan.status, title: plan.title,
                                 event: plan.event, group: plan.group, startsAt: plan.startsAt)
        participants[plan.id] = Dictionary(plan.participants.map { ($0.user, $0.status) }) { _, last in last }
    }

    mutating func insert(_ event: DirectorySeed.Event) {
        events[event.id] = EventRow(creator: event.creator, visibility: event.visibility, isActive: true,
                                    capacity: event.capacity, title: event.title, startsAt: event.startsAt,
                                    endsAt: event.endsAt, locationName: event.locationName,
                                    locationAddress: event.locationAddress)
        attendance[event.id] = Dictionary(event.attendance.map { ($0.user, $0) }) { _, last in last }
    }

    /// The organizer and every participant who has not declined.
    func planParticipants(_ plan: UUID) -> Set<UUID> {
        guard let row = plans[plan] else { return [] }
        let joined = participants[plan, default: [:]].filter { $0.value != "declined" }.keys
        return Set(joined).union([row.organizer])
    }
}
