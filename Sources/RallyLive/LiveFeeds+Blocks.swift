import Foundation
import RallyAuth
import RallyHub
import RallyPrivacy

/// Blocks inside a shared group or plan (docs/privacy.md): what a member sends there — broadcasts such as
/// `typing`, votes and suggestions, and presence — skips the subscribers blocked with them, either way. The
/// decision is per subscriber at delivery, from the sender's blocks kept in `BlockIndex`; a sender without
/// blocks costs nothing per delivery. Other kinds (free-form rooms) never pay for it.
extension LiveFeeds {
    public func audience(of join: FeedJoin, live: Bool) -> Audience? {
        guard let person = peer(of: join) else { return nil }
        guard let blocks = blocks.blocks(of: person) else { return ServiceRoleAudience() }
        if live { return LivePeerAudience(blocks: blocks) }
        let now = blocks.current
        return now.isEmpty ? nil : PeerAudience(blocked: now)
    }

    /// The user whose blocks matter for what this channel sends: a signed-in user on a group, a plan or a
    /// location topic (a location receiver's too: positions from other nodes are checked against them).
    func peer(of join: FeedJoin) -> UUID? {
        guard join.identity.role != .serviceRole else { return nil }
        switch join.parsedTopic?.kind {
        case .group, .plan, .locationPlan, .locationFriends:
            return join.identity.subject.flatMap(UUIDText.parse)
        default: return nil
        }
    }

    /// Called once per join of a live topic, before anything else (its leave calls `releasePeer`); false when the
    /// sender's blocks cannot be read (the join is refused: fail closed).
    func retainPeer(of join: FeedJoin) async -> Bool {
        guard let person = peer(of: join) else { return true }
        do {
            try await blocks.retain(person)
            return true
        } catch {
            logger.warning("join refused: blocks unreadable", metadata: ["error": "\(String(reflecting: error))"])
            return false
        }
    }

    func releasePeer(of join: FeedJoin) {
        guard let person = peer(of: join) else { return }
        blocks.release(person)
    }

    /// Friendship changes keep the blocks current; a pair blocked now and not before stops showing each other
    /// the presence shown so far. A failed read is logged (the next change or resync retries).
    func refreshBlocks(_ body: () async throws -> [BlockedPair]) async {
        do {
            for pair in try await body() { hub.hidePresence(between: pair.first, and: pair.second) }
        } catch {
            logger.warning("blocks not read again", metadata: ["error": "\(String(reflecting: error))"])
        }
    }
}

/// What a member of a group or plan sent from another node: each subscriber here is asked whether they are
/// blocked with the sender (their own blocks are kept while they hold the channel); a subscriber whose blocks are
/// not known here sees nothing of it (fail closed).
struct RemotePeerAudience: Audience {
    let sender: UUID
    let blocks: BlockIndex

    func admits(_ subscription: ChannelSubscription) -> Bool {
        if subscription.isServiceRole { return true }
        guard let viewer = subscription.userUUID else { return true }
        guard let theirs = blocks.blocks(of: viewer) else { return false }
        return !theirs.contains(sender)
    }
}

extension LiveFeeds {
    public func audience(ofRemoteSender sender: String?, topic: String) -> Audience? {
        guard topic.hasPrefix(TopicName.prefix) else { return nil }
        switch Topic.kind(ofSubtopic: String(topic.dropFirst(TopicName.prefix.count))) {
        case .group, .plan, .locationPlan, .locationFriends:
            guard let person = sender.flatMap(UUIDText.parse) else { return nil }
            return RemotePeerAudience(sender: person, blocks: blocks)
        default:
            return nil
        }
    }
}
