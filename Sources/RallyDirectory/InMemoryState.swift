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
    }

    struct EventRow {
        var creator: UUID?
        var visibility: ItemVisibility
        var isActive: Bool
        var capacity: Int?
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

    mutating func load(_ seed: DirectorySeed) {
        for user in seed.users { users[user.id] = user.privacy }
        for row in seed.friendships { friendships[Pair(row.user, row.friend)] = row }
        for group in seed.groups {
            groups[group.id] = GroupRow(privacy: group.privacy, createdBy: group.createdBy)
            members[group.id] = Set(group.members)
        }
        for plan in seed.plans {
            plans[plan.id] = PlanRow(organizer: plan.organizer, status: plan.status)
            participants[plan.id] = Dictionary(plan.participants.map { ($0.user, $0.status) }) { _, last in last }
        }
        for event in seed.events {
            events[event.id] = EventRow(creator: event.creator, visibility: event.visibility, isActive: true,
                                        capacity: event.capacity)
            attendance[event.id] = Dictionary(event.attendance.map { ($0.user, $0) }) { _, last in last }
        }
    }

    /// The organizer and every participant who has not declined.
    func planParticipants(_ plan: UUID) -> Set<UUID> {
        guard let row = plans[plan] else { return [] }
        let joined = participants[plan, default: [:]].filter { $0.value != "declined" }.keys
        return Set(joined).union([row.organizer])
    }
}
