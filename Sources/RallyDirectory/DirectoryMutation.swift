import Foundation
import RallyPrivacy

/// A change to the directory's rows. `InMemoryDirectory.apply` performs it (for tests and the demo); on Postgres
/// the product's own backend writes the rows and the triggers report the same changes.
public enum DirectoryMutation: Sendable, Hashable {
    /// Insert or update the `friendships` row (`user`, `friend`).
    case setFriendship(DirectorySeed.Friendship)
    /// Delete the `friendships` row (`user`, `friend`).
    case removeFriendship(user: UUID, friend: UUID)
    case setPrivacy(user: UUID, PrivacyLevel)
    case deleteUser(UUID)
    case setGroupPrivacy(group: UUID, PrivacyLevel)
    case addMember(group: UUID, user: UUID)
    case removeMember(group: UUID, user: UUID)
    /// Insert or update the `plan_participants` row.
    case setParticipant(plan: UUID, DirectorySeed.Participant)
    case removeParticipant(plan: UUID, user: UUID)
    case setPlanStatus(plan: UUID, String)
    case setEventVisibility(event: UUID, ItemVisibility)
    case cancelEvent(UUID)
    /// Insert or update the `event_attendance` row.
    case setAttendance(event: UUID, DirectorySeed.Attendance)
    case removeAttendance(event: UUID, user: UUID)
    /// Insert an `events` row (a user-created one when `creator` is set).
    case createEvent(EventDetails, capacity: Int? = nil)
    /// Update an event's title, times, place, activity, visibility and creator.
    case updateEvent(EventDetails)
    case setEventCapacity(event: UUID, Int?)
    /// Insert a `plans` row (participants: `setParticipant`).
    case createPlan(PlanRecord)
    /// Insert a `notifications` row.
    case insertNotification(NotificationRecord)
    case markNotificationRead(UUID)
}
