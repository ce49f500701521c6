/// A person's (or a group's) privacy setting: `users.privacy_level` and `groups.privacy_level`.
/// The raw values are the strings stored in Postgres.
public enum PrivacyLevel: String, Sendable, Hashable, CaseIterable, Comparable {
    /// Nobody but the person themself.
    case `private` = "private"
    /// Accepted friends (and the person themself).
    case friendsOnly = "friends_only"
    /// Any signed-in user who is not blocked either way.
    case `public` = "public"

    /// The most restrictive level, used when a stored value is missing or unknown (fail closed).
    public static let mostRestrictive = PrivacyLevel.private

    /// Parses a stored value; anything unknown is treated as `private`.
    public init(storedValue: String?) {
        self = storedValue.flatMap(PrivacyLevel.init(rawValue:)) ?? .mostRestrictive
    }

    private var openness: Int {
        switch self {
        case .private: return 0
        case .friendsOnly: return 1
        case .public: return 2
        }
    }

    public static func < (lhs: PrivacyLevel, rhs: PrivacyLevel) -> Bool {
        lhs.openness < rhs.openness
    }
}

/// The visibility of one item (`event_attendance.visibility`) or of a user-created event (`events.visibility`).
/// The raw values are the strings stored in Postgres.
public enum ItemVisibility: String, Sendable, Hashable, CaseIterable {
    /// Only the actor (for events: the creator and the people with an attendance row).
    case `private` = "private"
    /// The actor's accepted friends.
    case friends = "friends"
    /// Everyone the actor's privacy level allows.
    case `public` = "public"

    /// Parses a stored value; anything unknown is treated as `private` (fail closed).
    public init(storedValue: String?) {
        self = storedValue.flatMap(ItemVisibility.init(rawValue:)) ?? .private
    }

    /// The privacy level an item of this visibility is at most open to.
    public var ceiling: PrivacyLevel {
        switch self {
        case .private: return .private
        case .friends: return .friendsOnly
        case .public: return .public
        }
    }
}
