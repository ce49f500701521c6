import Foundation

/// Who may join which topic (SPEC §2). Pure: the caller loads the `TopicFacts` from the directory first
/// (only when `needsFacts` says so). The full table is in docs/privacy.md.
public enum JoinRule {
    /// Parses the subtopic and decides. A malformed identified topic is refused for everyone.
    public static func decide(subtopic: String, viewer: ViewerIdentity, facts: TopicFacts,
                              policy: JoinPolicy = JoinPolicy()) -> JoinDecision {
        switch Topic.parse(subtopic) {
        case .failure: return .deny(.malformedTopic)
        case .success(let topic): return decide(topic: topic, viewer: viewer, facts: facts, policy: policy)
        }
    }

    /// Whether `decide` will look at the facts: false when the answer follows from the viewer alone
    /// (service_role, anon on a person's topic, the owner of a profile, feed:, user:, free-form).
    public static func needsFacts(topic: Topic, viewer: ViewerIdentity) -> Bool {
        if viewer.isService { return false }
        switch topic {
        case .event: return true
        case .group, .plan, .locationPlan: return viewer.isSignedIn
        case .profile(let owner), .locationFriends(let owner): return viewer.isSignedIn && !viewer.isUser(owner)
        case .feed, .user, .freeForm: return false
        }
    }

    public static func decide(topic: Topic, viewer: ViewerIdentity, facts: TopicFacts,
                              policy: JoinPolicy = JoinPolicy()) -> JoinDecision {
        if viewer.isService { return .allow(.full) }
        switch topic {
        case .event: return decideEvent(viewer: viewer, facts: facts)
        case .group: return decideGroup(viewer: viewer, facts: facts)
        case .plan: return decidePlan(viewer: viewer, facts: facts)
        case .profile(let owner): return decideProfile(owner: owner, viewer: viewer, facts: facts)
        case .feed(let owner), .user(let owner): return decideOwnerOnly(owner: owner, viewer: viewer)
        case .locationPlan: return decideLocationPlan(viewer: viewer, facts: facts)
        case .locationFriends(let owner): return decideLocationFriends(owner: owner, viewer: viewer, facts: facts)
        case .freeForm:
            return viewer.isSignedIn || policy.allowAnonymousFreeForm ? .allow(.full) : .deny(.signInRequired)
        }
    }

    /// `event:<id>`: read-only for everyone but service_role (capacity and changes come from the server).
    /// A block either way with the creator hides the event; otherwise people with an attendance row always
    /// see it; public: everyone (anon too); friends: the creator and accepted friends; private: the creator.
    static func decideEvent(viewer: ViewerIdentity, facts: TopicFacts) -> JoinDecision {
        guard case .event(let found) = facts else { return .deny(.factsMismatch) }
        guard let event = found else { return .deny(.notFound) }
        if event.creator?.isBlocked == true { return .deny(.blocked) }
        let attends = viewer.isSignedIn && event.viewerAttends
        let allowed: Bool
        switch event.visibility {
        case .public: allowed = true
        case .friends: allowed = attends || event.creator?.isFriendOrSelf == true
        case .private: allowed = attends || event.creator == .oneself
        }
        if allowed { return .allow(.readOnly) }
        return .deny(viewer.isSignedIn ? .notAllowed : .signInRequired)
    }

    /// `group:<id>`: members read, post and track presence; public groups: any signed-in user may read.
    static func decideGroup(viewer: ViewerIdentity, facts: TopicFacts) -> JoinDecision {
        guard viewer.isSignedIn else { return .deny(.signInRequired) }
        guard case .group(let found) = facts else { return .deny(.factsMismatch) }
        guard let group = found else { return .deny(.notFound) }
        if group.viewerIsMember { return .allow(.full) }
        return group.privacy == .public ? .allow(.readOnly) : .deny(.notAllowed)
    }

    /// `plan:<id>`: the plan's participants (organizer included), with full access.
    static func decidePlan(viewer: ViewerIdentity, facts: TopicFacts) -> JoinDecision {
        guard viewer.isSignedIn else { return .deny(.signInRequired) }
        guard case .plan(let found) = facts else { return .deny(.factsMismatch) }
        guard let plan = found else { return .deny(.notFound) }
        return plan.viewerIsParticipant ? .allow(.full) : .deny(.notAllowed)
    }

    /// `profile:<user_id>`: the owner with full access; others read-only per the owner's privacy level
    /// (public: signed-in users, friends_only: accepted friends, private: nobody), never across a block.
    static func decideProfile(owner: UUID, viewer: ViewerIdentity, facts: TopicFacts) -> JoinDecision {
        guard viewer.isSignedIn else { return .deny(.signInRequired) }
        if viewer.isUser(owner) { return .allow(.full) }
        guard case .profile(let found) = facts else { return .deny(.factsMismatch) }
        guard let profile = found else { return .deny(.notFound) }
        if profile.relationship.isBlocked { return .deny(.blocked) }
        switch profile.ownerPrivacy {
        case .public: return .allow(.readOnly)
        case .friendsOnly: return profile.relationship.isFriendOrSelf ? .allow(.readOnly) : .deny(.notAllowed)
        case .private: return .deny(.notAllowed)
        }
    }

    /// `feed:<user_id>` and `user:<user_id>`: only that user.
    static func decideOwnerOnly(owner: UUID, viewer: ViewerIdentity) -> JoinDecision {
        guard viewer.isSignedIn else { return .deny(.signInRequired) }
        return viewer.isUser(owner) ? .allow(.full) : .deny(.notAllowed)
    }

    /// May share a position and receive the others' (no presence: who watches is nobody's business).
    public static let locationSharer = JoinAccess(canBroadcast: true, canTrackPresence: false)

    /// `location:plan:<id>`: the plan's participants, who may all share; the plan's rule, without presence.
    static func decideLocationPlan(viewer: ViewerIdentity, facts: TopicFacts) -> JoinDecision {
        let plan = decidePlan(viewer: viewer, facts: facts)
        return plan.isAllowed ? .allow(locationSharer) : plan
    }

    /// `location:friends:<user_id>`: the owner shares (`locationSharer`); their accepted friends receive,
    /// read-only; a block either way or anyone else is refused. The owner's profile privacy level plays no part:
    /// sharing is the owner's own choice, made per share.
    static func decideLocationFriends(owner: UUID, viewer: ViewerIdentity, facts: TopicFacts) -> JoinDecision {
        guard viewer.isSignedIn else { return .deny(.signInRequired) }
        if viewer.isUser(owner) { return .allow(locationSharer) }
        guard case .profile(let found) = facts else { return .deny(.factsMismatch) }
        guard let profile = found else { return .deny(.notFound) }
        if profile.relationship.isBlocked { return .deny(.blocked) }
        return profile.relationship == .friend ? .allow(.readOnly) : .deny(.notAllowed)
    }
}
