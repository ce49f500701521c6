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
        /// `planning`, `confirmed`, `cancelled` or `completed`.
        public var status: String
        public var participants: [Participant]

        public init(id: UUID, title: String, organizer: UUID, status: String = "planning",
                    participants: [Participant]) {
            self.id = id
            self.title = title
            self.organizer = organizer
            self.status = status
            self.participants = participants
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

        public init(id: UUID, title: String, creator: UUID?, visibility: ItemVisibility, capacity: Int? = nil,
                    attendance: [Attendance] = []) {
            self.id = id
            self.title = title
            self.creator = creator
            self.visibility = visibility
            self.capacity = capacity
            self.attendance = attendance
        }
    }

    public var users: [User]
    public var friendships: [Friendship]
    public var groups: [Group]
    public var plans: [Plan]
    public var events: [Event]

    public init(users: [User] = [], friendships: [Friendship] = [], groups: [Group] = [], plans: [Plan] = [],
                events: [Event] = []) {
        self.users = users
        self.friendships = friendships
        self.groups = groups
        self.plans = plans
        self.events = events
    }
}
