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
        guard let viewer = subscription.userUUID else { return false }
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
        guard let viewer = subscription.userUUID, viewer != author else { return true }
        return ItemRule.visibleInConversation(relationship: relationships[viewer] ?? .stranger, viewer: .authenticated)
    }
}

/// What a person sends on a group or plan (a broadcast: the blocks as they are now) reaches every subscriber but
/// those blocked with them, either way. `service_role` subscribers get everything.
struct PeerAudience: Audience {
    let blocked: Set<UUID>

    func admits(_ subscription: ChannelSubscription) -> Bool {
        if subscription.isServiceRole { return true }
        guard let viewer = subscription.userUUID else { return true }
        return !blocked.contains(viewer)
    }
}

/// A presence entry's audience: asks the owner's current blocks at each delivery.
struct LivePeerAudience: Audience {
    let blocks: BlockIndex.Blocks

    func admits(_ subscription: ChannelSubscription) -> Bool {
        if subscription.isServiceRole { return true }
        guard let viewer = subscription.userUUID else { return true }
        return !blocks.contains(viewer)
    }
}

/// A sender whose blocks are not known here (it holds no channel any more): only `service_role` receives.
struct ServiceRoleAudience: Audience {
    func admits(_ subscription: ChannelSubscription) -> Bool { subscription.isServiceRole }
}
