import Foundation
import RallyPrivacy

/// The live counts of one event: what `event:<id>` subscribers see (docs/live-data.md).
public struct CapacityCounts: Sendable, Hashable {
    public var event: UUID
    /// `event_attendance` rows by status.
    public var going: Int
    public var interested: Int
    public var maybe: Int
    /// `events.capacity`; nil when unlimited.
    public var capacity: Int?

    public init(event: UUID, going: Int, interested: Int, maybe: Int, capacity: Int?) {
        self.event = event
        self.going = going
        self.interested = interested
        self.maybe = maybe
        self.capacity = capacity
    }

    /// Places left (never negative); nil when unlimited.
    public var remaining: Int? { capacity.map { max(0, $0 - going) } }
    /// Whether every place is taken.
    public var isFull: Bool { capacity.map { going >= $0 } ?? false }
}

/// The parts of an event row a client shows live (time, place, cancellation).
public struct EventDetails: Sendable, Hashable {
    public var id: UUID
    public var title: String
    public var startsAt: Date?
    public var endsAt: Date?
    public var locationName: String
    public var locationAddress: String?
    /// `events.is_active`; false once cancelled.
    public var isActive: Bool
    public var visibility: ItemVisibility
    /// `created_by_user_id`; nil for catalogue events.
    public var creator: UUID?

    public init(id: UUID, title: String, startsAt: Date?, endsAt: Date?, locationName: String,
                locationAddress: String?, isActive: Bool, visibility: ItemVisibility, creator: UUID?) {
        self.id = id
        self.title = title
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.locationName = locationName
        self.locationAddress = locationAddress
        self.isActive = isActive
        self.visibility = visibility
        self.creator = creator
    }
}

/// A plan as `plan:<id>` subscribers see its status.
public struct PlanRecord: Sendable, Hashable {
    public var id: UUID
    public var title: String
    public var organizer: UUID
    /// proposed | planning | confirmed | booked | cancelled | completed.
    public var status: String
    public var event: UUID?
    public var group: UUID?
    public var startsAt: Date?

    public init(id: UUID, title: String, organizer: UUID, status: String, event: UUID?, group: UUID?,
                startsAt: Date?) {
        self.id = id
        self.title = title
        self.organizer = organizer
        self.status = status
        self.event = event
        self.group = group
        self.startsAt = startsAt
    }
}

/// One `notifications` row.
public struct NotificationRecord: Sendable, Hashable {
    public var id: UUID
    public var user: UUID
    public var type: String
    public var title: String
    public var message: String
    /// `data` as JSON text (an object).
    public var dataJSON: String
    public var isRead: Bool
    public var createdAt: Date

    public init(id: UUID, user: UUID, type: String, title: String, message: String, dataJSON: String = "{}",
                isRead: Bool = false, createdAt: Date) {
        self.id = id
        self.user = user
        self.type = type
        self.title = title
        self.message = message
        self.dataJSON = dataJSON
        self.isRead = isRead
        self.createdAt = createdAt
    }
}

/// One stored chat message of `group_messages`. Within a group, ids grow in commit order.
public struct StoredMessage: Sendable, Hashable {
    public var id: Int64
    public var group: UUID
    /// The author; nil once the author's account is deleted.
    public var user: UUID?
    public var body: String
    /// `metadata` as JSON text (an object).
    public var metadataJSON: String
    public var createdAt: Date

    public init(id: Int64, group: UUID, user: UUID?, body: String, metadataJSON: String = "{}", createdAt: Date) {
        self.id = id
        self.group = group
        self.user = user
        self.body = body
        self.metadataJSON = metadataJSON
        self.createdAt = createdAt
    }
}

/// A chat message about to be stored.
public struct NewMessage: Sendable, Hashable {
    public var group: UUID
    public var user: UUID?
    public var body: String
    public var metadataJSON: String

    public init(group: UUID, user: UUID?, body: String, metadataJSON: String = "{}") {
        self.group = group
        self.user = user
        self.body = body
        self.metadataJSON = metadataJSON
    }
}

/// The rows behind Rally's live feeds (capacity, event changes, plans, notifications, chat). `InMemoryDirectory`
/// and `PostgresLiveStore` implement it and pass one contract suite. Reads of unknown ids return nil / empty.
public protocol LiveStore: Sendable {
    /// The event's counts by status and its capacity; nil when there is no such event.
    func capacity(of event: UUID) async throws -> CapacityCounts?
    func eventDetails(_ event: UUID) async throws -> EventDetails?
    func plan(_ plan: UUID) async throws -> PlanRecord?
    func notification(_ id: UUID) async throws -> NotificationRecord?
    /// The user's unread notifications, oldest first, at most `limit` (the newest ones when there are more).
    func unreadNotifications(of user: UUID, limit: Int) async throws -> [NotificationRecord]
    /// Stores a message (committed when this returns). Ids grow in commit order within a group.
    func storeMessage(_ message: NewMessage) async throws -> StoredMessage
    func message(_ id: Int64) async throws -> StoredMessage?
    /// Messages of the group with an id above `afterID`, in id order, at most `limit` (the oldest ones).
    func messages(group: UUID, after afterID: Int64, limit: Int) async throws -> [StoredMessage]
    /// Messages of the group created at or after `since`, in id order, at most `limit` (the newest ones).
    func messages(group: UUID, since: Date, limit: Int) async throws -> [StoredMessage]
    /// The highest message id of the group; 0 when it has none.
    func latestMessageID(group: UUID) async throws -> Int64
    /// Every friendship row that involves `user`, seen from the other person: other id → relationship of the
    /// other person towards `user` (`Relationship.between`). People with no row are absent (strangers).
    func relationships(towards user: UUID) async throws -> [UUID: Relationship]
}
