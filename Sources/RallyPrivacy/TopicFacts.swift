/// What the directory knows about an event, seen from one viewer.
public struct EventFacts: Sendable, Hashable {
    /// `events.visibility`; catalogue events are `public`.
    public var visibility: ItemVisibility
    /// The viewer's relationship to `events.created_by_user_id`; nil for a catalogue event (no creator).
    public var creator: Relationship?
    /// The viewer has an `event_attendance` row for this event (any status): RSVPed or was invited.
    public var viewerAttends: Bool

    public init(visibility: ItemVisibility, creator: Relationship?, viewerAttends: Bool) {
        self.visibility = visibility
        self.creator = creator
        self.viewerAttends = viewerAttends
    }
}

/// What the directory knows about a group, seen from one viewer.
public struct GroupFacts: Sendable, Hashable {
    /// `groups.privacy_level`.
    public var privacy: PrivacyLevel
    /// The viewer has a `group_members` row for this group.
    public var viewerIsMember: Bool

    public init(privacy: PrivacyLevel, viewerIsMember: Bool) {
        self.privacy = privacy
        self.viewerIsMember = viewerIsMember
    }
}

/// What the directory knows about a plan, seen from one viewer.
public struct PlanFacts: Sendable, Hashable {
    /// The viewer organises the plan or has a `plan_participants` row that is not `declined`.
    public var viewerIsParticipant: Bool

    public init(viewerIsParticipant: Bool) {
        self.viewerIsParticipant = viewerIsParticipant
    }
}

/// What the directory knows about a profile's owner, seen from one viewer.
public struct ProfileFacts: Sendable, Hashable {
    /// `users.privacy_level` of the owner.
    public var ownerPrivacy: PrivacyLevel
    /// The viewer's relationship to the owner.
    public var relationship: Relationship

    public init(ownerPrivacy: PrivacyLevel, relationship: Relationship) {
        self.ownerPrivacy = ownerPrivacy
        self.relationship = relationship
    }
}

/// The directory facts a join decision needs. Each identified kind carries nil when the id does not exist.
/// `feed:`, `user:` and free-form rooms need no facts (`.none`).
public enum TopicFacts: Sendable, Hashable {
    case event(EventFacts?)
    case group(GroupFacts?)
    case plan(PlanFacts?)
    case profile(ProfileFacts?)
    case none
}
