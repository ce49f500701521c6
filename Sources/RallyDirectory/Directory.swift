import Foundation
import RallyPrivacy

/// An event as the directory knows it.
public struct EventRecord: Sendable, Hashable {
    public var id: UUID
    /// `events.visibility`; when the stored value is NULL: public for a catalogue event, private for a
    /// user-created one (fail closed).
    public var visibility: ItemVisibility
    /// `events.created_by_user_id`; nil for catalogue events.
    public var creator: UUID?
    /// `events.is_active`; false once cancelled.
    public var isActive: Bool
    /// `events.capacity`; nil when unlimited.
    public var capacity: Int?
    /// `event_attendance` rows with status `going`.
    public var going: Int

    public init(id: UUID, visibility: ItemVisibility, creator: UUID?, isActive: Bool = true, capacity: Int? = nil,
                going: Int = 0) {
        self.id = id
        self.visibility = visibility
        self.creator = creator
        self.isActive = isActive
        self.capacity = capacity
        self.going = going
    }

    /// Places left, when the event has a capacity (never negative).
    public var remaining: Int? {
        capacity.map { max(0, $0 - going) }
    }
}

/// Who is friends with whom, who is in which group or plan, and what events exist: the facts the privacy rules
/// need. Rally only reads it; `InMemoryDirectory` and `PostgresDirectory` implement it and pass one contract
/// test suite. Every method fails closed: an unknown id is nil / false / empty, never an allowance.
public protocol Directory: Sendable {
    /// `users.privacy_level` of a user; nil when there is no such user.
    func privacyLevel(of user: UUID) async throws -> PrivacyLevel?

    /// How `viewer` stands towards `other`, from `friendships` rows in either direction; `.oneself` when equal.
    func relationship(of viewer: UUID, to other: UUID) async throws -> Relationship

    /// The group's privacy level and whether `viewer` is a member; nil when there is no such group.
    func groupFacts(_ group: UUID, viewer: UUID?) async throws -> GroupFacts?

    /// Whether `viewer` organises the plan or has a `plan_participants` row that is not declined;
    /// nil when there is no such plan.
    func planFacts(_ plan: UUID, viewer: UUID?) async throws -> PlanFacts?

    /// The event with its visibility, creator and live counts; nil when there is no such event.
    func event(_ id: UUID) async throws -> EventRecord?

    /// Whether `user` has an `event_attendance` row (any status) for the event.
    func hasAttendance(_ user: UUID, event: UUID) async throws -> Bool

    /// The user's accepted friends (a block in either direction removes one), sorted.
    func acceptedFriends(of user: UUID) async throws -> [UUID]

    /// The group's members, sorted.
    func groupMembers(_ group: UUID) async throws -> [UUID]

    /// The plan's participants: the organizer and every participant who has not declined, sorted.
    func planParticipants(_ plan: UUID) async throws -> [UUID]
}
