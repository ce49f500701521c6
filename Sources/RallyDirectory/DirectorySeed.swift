import Foundation
import RallyPrivacy

/// A set of directory rows: the demo data, and the fixtures the contract tests load into both implementations.
public struct DirectorySeed: Sendable, Hashable {
    public struct User: Sendable, Hashable {
        public var id: UUID
        public var name: String
        public var privacy: PrivacyLevel

        public init(id: UUID, name: String, privacy: PrivacyLevel) {
            self.id = id
            self.name = name
            self.privacy = privacy
        }
    }

    /// One `friendships` row: `initiatedBy` asked (pending) or blocked (blocked).
    public struct Friendship: Sendable, Hashable {
        public var user: UUID
        public var friend: UUID
        public var status: FriendshipStatus
        public var initiatedBy: UUID

        public init(user: UUID, friend: UUID, status: FriendshipStatus, initiatedBy: UUID? = nil) {
            self.user = user
            self.friend = friend
            self.status = status
            self.initiatedBy = initiatedBy ?? user
        }
    }

    public struct Group: Sendable, Hashable {
        public var id: UUID
        public var name: String
        public var createdBy: UUID
        public var privacy: PrivacyLevel
        public var members: [UUID]

        public init(id: UUID, name: String, createdBy: UUID, privacy: PrivacyLevel, members: [UUID]) {
            self.id = id
            self.name = name
            self.createdBy = createdBy
            self.privacy = privacy
            self.members = members
        }
    }

    public struct Participant: Sendable, Hashable {
        public var user: UUID
        /// `invited`, `accepted` or `declined`.
        public var status: String

        public init(user: UUID, status: String) {
            self.user = user
            self.status = status
        }
    }

    public struct Plan: Sendable, Hashable {
        public var id: UUID
        public var title: String
        public var organizer: UUID
        /// `proposed`, `planning`, `confirmed`, `booked`, `cancelled` or `completed`.
        public var status: String
        public var participants: [Participant]
        public var event: UUID?
        public var group: UUID?
        public var startsAt: Date?

        public init(id: UUID, title: String, organizer: UUID, status: String = "planning",
                    participants: [Participant], event: UUID? = nil, group: UUID? = nil, startsAt: Date? = nil) {
            self.id = id
            self.title = title
            self.organizer = organizer
            self.status = status
            self.participants = participants
            self.event = event
            self.group = group
            self.startsAt = startsAt
        }
    }

    public struct Attendance: Sendable, Hashable {
        public var user: UUID
        /// `interested`, `going`, `maybe` or `not_going`.
        public var status: String
        public var visibility: ItemVisibility

        public init(user: UUID, status: String, visibility: ItemVisibility) {
            self.user = user
            self.status = status
            self.visibility = visibility
        }
    }

    public struct Event: Sendable, Hashable {
        public var id: UUID
        public var title: String
        /// nil for a catalogue event.
        public var creator: UUID?
        public var visibility: ItemVisibility
        public var capacity: Int?
        public var attendance: [Attendance]
        /// `date_time`; the seeder writes a week from now when nil.
        public var startsAt: Date?
        public var endsAt: Date?
        public var locationName: String
        public var locationAddress: String?

        public init(id: UUID, title: String, creator: UUID?, visibility: ItemVisibility, capacity: Int? = nil,
                    attendance: [Attendance] = [], startsAt: Date? = nil, endsAt: Date? = nil,
                    locationName: String = "To be announced", locationAddress: String? = nil) {
            self.id = id
            self.title = title
            self.creator = creator
            self.visibility = visibility
            self.capacity = capacity
            self.attendance = attendance
            self.startsAt = startsAt
            self.endsAt = endsAt
            self.locationName = locationName
            self.locationAddress = locationAddress
        }
    }

    public var users: [User]
    public var friendships: [Friendship]
    public var groups: [Group]
    public var plans: [Plan]
    public var events: [Event]
    public var notifications: [NotificationRecord]

    public init(users: [User] = [], friendships: [Friendship] = [], groups: [Group] = [], plans: [Plan] = [],
                events: [Event] = [], notifications: [NotificationRecord] = []) {
        self.users = users
        self.friendships = friendships
        self.groups = groups
        self.plans = plans
        self.events = events
        self.notifications = notifications
    }
}
