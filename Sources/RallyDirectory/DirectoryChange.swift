import Foundation
import RallyPrivacy

/// What a row change was.
public enum ChangeOperation: String, Sendable, Hashable, Codable {
    case insert, update, delete
}

/// One change that matters for who may see what or for live data: the payload of `NOTIFY rally_changes`
/// (sent by the triggers of `Migrations`) or of `InMemoryDirectory.changes`. Ids and kinds only; Rally re-reads
/// whatever else it needs.
public enum DirectoryChange: Sendable, Hashable {
    /// A `friendships` row (`a` = `user_id`, `b` = `friend_id`); `status` is the old one on delete.
    case friendship(ChangeOperation, a: UUID, b: UUID, status: FriendshipStatus)
    /// `users.privacy_level` or `is_active` changed, or the user was deleted.
    case user(ChangeOperation, user: UUID, privacy: PrivacyLevel)
    /// `groups.privacy_level` or `is_active` changed, or the group was deleted.
    case group(ChangeOperation, group: UUID, privacy: PrivacyLevel)
    /// A `group_members` row.
    case groupMember(ChangeOperation, group: UUID, user: UUID)
    /// A plan was created, deleted, or its status or organizer changed.
    case plan(ChangeOperation, plan: UUID, status: String)
    /// A `plan_participants` row.
    case planParticipant(ChangeOperation, plan: UUID, user: UUID, status: String)
    /// An event row changed (visibility, cancellation, capacity, details); `creator` is `created_by_user_id`
    /// (an insert with a creator is that user's activity).
    case event(ChangeOperation, event: UUID, visibility: ItemVisibility, active: Bool, creator: UUID? = nil)
    /// An `event_attendance` row: capacity of the event and activity of the user.
    case attendance(ChangeOperation, event: UUID, user: UUID, status: String, visibility: ItemVisibility)
    /// A `notifications` row for `user`; `inline` is the row when it fitted in the NOTIFY payload (otherwise
    /// read it by id).
    case notification(ChangeOperation, id: UUID, user: UUID, inline: NotificationRecord? = nil)
    /// A `group_messages` row; `inline` is the row when it fitted in the NOTIFY payload (otherwise read it by id).
    /// `author` is the deleted row's `user_id` on a delete (nil otherwise: the row says it).
    case groupMessage(ChangeOperation, id: Int64, group: UUID, inline: StoredMessage? = nil, author: UUID? = nil)
    /// A row of a table served as `postgres_changes`, whole (or its key columns when it was too large).
    case row(RowChange)
    /// The change feed reconnected: anything may have changed meanwhile, re-check everything.
    case resync
}

extension DirectoryChange {
    /// The `kind` field of the NOTIFY payload.
    public var kind: String {
        switch self {
        case .friendship: return "friendship"
        case .user: return "user"
        case .group: return "group"
        case .groupMember: return "group_member"
        case .plan: return "plan"
        case .planParticipant: return "plan_participant"
        case .event: return "event"
        case .attendance: return "attendance"
        case .notification: return "notification"
        case .groupMessage: return "group_message"
        case .row: return "row"
        case .resync: return "resync"
        }
    }

    /// Whether this change can take away someone's right to a subscription (so joins must be re-decided).
    public var mayRevoke: Bool {
        switch self {
        case .friendship, .user, .group, .groupMember, .planParticipant, .event, .resync: return true
        // Only the attendee's own right to a non-public event depends on the row, and only its removal takes
        // it away (a new RSVP or a status change never does).
        case .attendance(let operation, _, _, _, _), .plan(let operation, _, _): return operation == .delete
        case .notification, .groupMessage, .row: return false
        }
    }
}

/// A NOTIFY payload that is not a change Rally knows.
public struct UnknownChangePayload: Error, Sendable, CustomStringConvertible {
    public var payload: String
    public var description: String { "not a rally_changes payload: \(payload.prefix(200))" }
}
