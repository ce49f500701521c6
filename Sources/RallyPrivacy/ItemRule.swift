/// How the items on a topic are filtered per subscriber.
public enum ItemClass: String, Sendable, Hashable, CaseIterable {
    /// Counts and event changes that name nobody (`event:`): every joined subscriber gets them. An item on such
    /// a topic that does name a person is filtered like `activity` (fail closed).
    case aggregate
    /// A person's activity (`profile:`, `feed:`): the actor's privacy level AND the item's visibility decide.
    case activity
    /// Messages, votes, notifications, room broadcasts (`group:`, `plan:`, `user:`, free-form): everyone joined
    /// gets them except across a block with the author.
    case conversation

    /// The class of the items that flow on a topic kind.
    public static func of(_ kind: TopicKind) -> ItemClass {
        switch kind {
        case .event: return .aggregate
        case .profile, .feed: return .activity
        case .group, .plan, .user, .locationPlan, .locationFriends, .freeForm: return .conversation
        }
    }
}

/// One item about to be delivered, seen from one subscriber.
public struct ItemFacts: Sendable, Hashable {
    /// The subscriber's relationship to the item's actor or author; nil when no person is behind it
    /// (a system notification, a capacity update).
    public var author: Relationship?
    /// `users.privacy_level` of the actor (activity items).
    public var actorPrivacy: PrivacyLevel
    /// The item's own visibility (`event_attendance.visibility`, `events.visibility`; activity items).
    public var visibility: ItemVisibility

    public init(author: Relationship?, actorPrivacy: PrivacyLevel = .public, visibility: ItemVisibility = .public) {
        self.author = author
        self.actorPrivacy = actorPrivacy
        self.visibility = visibility
    }

    /// An item no person is behind.
    public static let unattributed = ItemFacts(author: nil)
}

/// Per-item filtering (SPEC §2): which subscribers of a topic get one item. The full table is in docs/privacy.md.
public enum ItemRule {
    /// An activity item of an actor: service_role sees all; anon nothing (activity names a person); never across
    /// a block; the actor always sees their own; otherwise the stricter of the actor's privacy level and the
    /// item's visibility must include the viewer (public: any signed-in user, friends: accepted friends).
    public static func visible(actorPrivacy: PrivacyLevel, itemVisibility: ItemVisibility,
                               relationship: Relationship, viewer: ViewerRole) -> Bool {
        switch viewer {
        case .serviceRole: return true
        case .anon: return false
        case .authenticated: break
        }
        if relationship.isBlocked { return false }
        if relationship == .oneself { return true }
        switch min(actorPrivacy, itemVisibility.ceiling) {
        case .public: return true
        case .friendsOnly: return relationship == .friend
        case .private: return false
        }
    }

    /// A message in a room the viewer was allowed to join: everyone there gets it except across a block with
    /// the author.
    public static func visibleInConversation(relationship: Relationship, viewer: ViewerRole) -> Bool {
        viewer == .serviceRole || !relationship.isBlocked
    }

    /// Whether one item of a topic of `kind` reaches a subscriber already allowed to join it.
    public static func visible(_ item: ItemFacts, on kind: TopicKind, viewer: ViewerRole) -> Bool {
        guard let author = item.author else { return true }
        switch ItemClass.of(kind) {
        case .aggregate, .activity:
            return visible(actorPrivacy: item.actorPrivacy, itemVisibility: item.visibility,
                           relationship: author, viewer: viewer)
        case .conversation:
            return visibleInConversation(relationship: author, viewer: viewer)
        }
    }
}

/// Join and item rules composed: does an item on a topic reach a viewer at all?
public enum DeliveryRule {
    public static func reaches(_ item: ItemFacts, topic: Topic, viewer: ViewerIdentity, facts: TopicFacts,
                               policy: JoinPolicy = JoinPolicy()) -> Bool {
        let join = JoinRule.decide(topic: topic, viewer: viewer, facts: facts, policy: policy)
        return join.isAllowed && ItemRule.visible(item, on: topic.kind, viewer: viewer.role)
    }
}
