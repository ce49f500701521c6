import Foundation
import RallyHub
import RallyPrivacy

/// Per-subscriber filter of one activity item (`profile:<actor>`): the actor's privacy level AND the item's
/// visibility, from each subscriber's relationship to the actor (docs/privacy.md, `ItemRule`).
struct ActivityAudience: Audience {
    let actor: UUID
    let actorPrivacy: PrivacyLevel
    let visibility: ItemVisibility
    /// Other person → their relationship towards the actor.
    let relationships: [UUID: Relationship]
    /// Who may see the event the item is about; nil when it is public.
    let eventViewers: Set<UUID>?

    func admits(_ subscription: ChannelSubscription) -> Bool {
        if subscription.isServiceRole { return true }
        guard let viewer = subscription.userID.flatMap(UUID.init(uuidString:)) else { return false }
        if let eventViewers, !eventViewers.contains(viewer) { return false }
        let relationship = viewer == actor ? .oneself : (relationships[viewer] ?? .stranger)
        return ItemRule.visible(actorPrivacy: actorPrivacy, itemVisibility: visibility, relationship: relationship,
                                viewer: .authenticated)
    }
}

/// Per-subscriber filter of a conversation item (a chat message): everyone joined gets it except across a block
/// with the author.
struct ConversationAudience: Audience {
    let author: UUID
    let relationships: [UUID: Relationship]

    func admits(_ subscription: ChannelSubscription) -> Bool {
        if subscription.isServiceRole { return true }
        guard let viewer = subscription.userID.flatMap(UUID.init(uuidString:)), viewer != author else { return true }
        return ItemRule.visibleInConversation(relationship: relationships[viewer] ?? .stranger, viewer: .authenticated)
    }
}
