import Foundation
import RallyPrivacy

extension Directory {
    /// Loads the facts `JoinRule` needs for a viewer joining a topic (nothing when `JoinRule.needsFacts` is false).
    public func facts(for topic: Topic, viewer: ViewerIdentity) async throws -> TopicFacts {
        guard JoinRule.needsFacts(topic: topic, viewer: viewer) else { return .none }
        let viewerID = viewer.isSignedIn ? viewer.userID : nil
        switch topic {
        case .event(let id): return .event(try await eventFacts(id, viewer: viewerID))
        case .group(let id): return .group(try await groupFacts(id, viewer: viewerID))
        case .plan(let id), .locationPlan(let id): return .plan(try await planFacts(id, viewer: viewerID))
        case .profile(let owner), .locationFriends(let owner):
            return .profile(try await profileFacts(owner, viewer: viewerID))
        case .feed, .user, .freeForm: return .none
        }
    }

    /// Parses the subtopic, loads what is needed and decides. Directory errors propagate (the caller refuses
    /// the join: fail closed).
    public func decideJoin(subtopic: String, viewer: ViewerIdentity,
                           policy: JoinPolicy = JoinPolicy()) async throws -> JoinDecision {
        switch Topic.parse(subtopic) {
        case .failure:
            return .deny(.malformedTopic)
        case .success(let topic):
            let facts = try await facts(for: topic, viewer: viewer)
            return JoinRule.decide(topic: topic, viewer: viewer, facts: facts, policy: policy)
        }
    }

    /// The facts `ItemRule` needs for one item by `actor`, seen from `viewer` (nil actor: nobody is behind it).
    public func itemFacts(actor: UUID?, visibility: ItemVisibility, viewer: ViewerIdentity) async throws -> ItemFacts {
        guard let actor else { return ItemFacts(author: nil, visibility: visibility) }
        let privacy = try await privacyLevel(of: actor) ?? .mostRestrictive
        let relationship = try await relationship(of: viewer, to: actor)
        return ItemFacts(author: relationship, actorPrivacy: privacy, visibility: visibility)
    }

    /// A viewer's relationship to a person; anon and id-less viewers are strangers.
    public func relationship(of viewer: ViewerIdentity, to other: UUID) async throws -> Relationship {
        guard viewer.isSignedIn, let viewerID = viewer.userID else { return .stranger }
        return try await relationship(of: viewerID, to: other)
    }

    func eventFacts(_ id: UUID, viewer: UUID?) async throws -> EventFacts? {
        guard let event = try await event(id) else { return nil }
        guard let viewer else {
            return EventFacts(visibility: event.visibility, creator: event.creator.map { _ in .stranger },
                              viewerAttends: false)
        }
        var creator: Relationship?
        if let creatorID = event.creator {
            creator = try await relationship(of: viewer, to: creatorID)
        }
        let attends = try await hasAttendance(viewer, event: id)
        return EventFacts(visibility: event.visibility, creator: creator, viewerAttends: attends)
    }

    func profileFacts(_ owner: UUID, viewer: UUID?) async throws -> ProfileFacts? {
        guard let privacy = try await privacyLevel(of: owner) else { return nil }
        guard let viewer else { return ProfileFacts(ownerPrivacy: privacy, relationship: .stranger) }
        let relationship = try await relationship(of: viewer, to: owner)
        return ProfileFacts(ownerPrivacy: privacy, relationship: relationship)
    }
}
