import Foundation
import RallyDirectory
import RallyPrivacy

/// The facts of one row that decide who may see it (`RowPrivacy.sight`), asked per viewer.
struct RowSight: Sendable {
    struct Event: Sendable {
        let id: UUID
        let visibility: ItemVisibility
        let creator: UUID?
        /// Other person → their relationship towards the creator.
        let towardsCreator: [UUID: Relationship]
    }

    /// An RSVP as an activity item of its attendee.
    struct Item: Sendable {
        let actor: UUID
        let privacy: PrivacyLevel
        let visibility: ItemVisibility
        /// Other person → their relationship towards the actor.
        let towardsActor: [UUID: Relationship]
    }

    enum Rule: Sendable {
        case nobody
        /// Only the person the row is about (an RSVP whose event is gone).
        case own(UUID?)
        case item(Item, event: Event)
        case event(Event)
        /// Members of the group, but not across a block with the author.
        case conversation(members: Set<UUID>, author: UUID?, towardsAuthor: [UUID: Relationship])
        /// The plan's participants (organizer included), and the person the row is about.
        case participants(Set<UUID>, own: UUID?)
    }

    let rule: Rule
    /// Asked only whether a viewer attends a non-public event.
    var directory: (any Directory)? = nil

    func visible(to viewer: ViewerIdentity) async -> Bool {
        if viewer.isService { return true }
        guard viewer.role == .authenticated, let me = viewer.userID else { return false }
        switch rule {
        case .nobody:
            return false
        case .own(let person):
            return person == me
        case .item(let item, let event):
            if item.actor == me { return true }
            guard await sees(event, me: me, viewer: viewer) else { return false }
            return ItemRule.visible(actorPrivacy: item.privacy, itemVisibility: item.visibility,
                                    relationship: item.towardsActor[me] ?? .stranger, viewer: .authenticated)
        case .event(let event):
            return await sees(event, me: me, viewer: viewer)
        case .conversation(let members, let author, let towardsAuthor):
            guard members.contains(me) else { return false }
            guard author != nil, author != me else { return true }
            return ItemRule.visibleInConversation(relationship: towardsAuthor[me] ?? .stranger, viewer: .authenticated)
        case .participants(let participants, let own):
            return own == me || participants.contains(me)
        }
    }

    /// The rule of `event:`; whether the viewer attends is read only when it could change the answer.
    private func sees(_ event: Event, me: UUID, viewer: ViewerIdentity) async -> Bool {
        let creator = event.creator.map { $0 == me ? Relationship.oneself : (event.towardsCreator[me] ?? .stranger) }
        func decide(attends: Bool) -> Bool {
            let facts = EventFacts(visibility: event.visibility, creator: creator, viewerAttends: attends)
            return JoinRule.decide(topic: .event(event.id), viewer: viewer, facts: .event(facts)).isAllowed
        }
        if decide(attends: false) { return true }
        guard event.visibility != .public, creator?.isBlocked != true, let directory else { return false }
        guard let attends = try? await directory.hasAttendance(me, event: event.id) else { return false }
        return attends && decide(attends: true)
    }
}
