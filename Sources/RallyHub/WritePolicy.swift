import Foundation
import RallyPrivacy

/// What a client broadcast on a topic may do, decided once from the topic's kind: at join for a channel (kept on
/// it, `FeedJoin.writePolicy`), per request for a REST publish (which has no channel), by the same function. The
/// topic feeds act on it per message instead of looking at the topic again. Whether the channel may write at all
/// is its access (`TopicAccess.canWrite`, decided again at each token refresh), not this.
public enum WritePolicy: Sendable, Hashable {
    /// A free-form room: any event name, published as sent.
    case freeForm
    /// A live topic: the names the server sends on `kind` are refused to clients (`service_role` excepted).
    case reservedNames(TopicKind)
    /// A group's chat: `message` is checked and stored, `typing` is rate-limited, other names as `reservedNames`.
    case chat(group: UUID)
    /// A location topic: reserved names refused, then only the sharing events (`share_start`, `position`,
    /// `share_stop`), rewritten by the server.
    case location(TopicKind)

    /// The policy of `topic` (nil: the subtopic claims a kind but is malformed, and is never joined or written:
    /// treated as free-form so the decision stays total).
    public static func of(_ topic: Topic?) -> WritePolicy {
        guard let topic else { return .freeForm }
        switch topic {
        case .freeForm: return .freeForm
        case .group(let group): return .chat(group: group)
        case .locationPlan, .locationFriends: return .location(topic.kind)
        case .event, .plan, .feed, .profile, .user: return .reservedNames(topic.kind)
        }
    }

    /// The kind whose server names are reserved; nil in a free-form room.
    public var reservedKind: TopicKind? {
        switch self {
        case .freeForm: return nil
        case .chat: return .group
        case .reservedNames(let kind), .location(let kind): return kind
        }
    }
}
