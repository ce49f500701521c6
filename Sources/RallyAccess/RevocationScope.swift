import Foundation
import RallyDirectory
import RallyHub
import RallyPrivacy

/// Which joined topics a directory change can take away: the channels whose join must be decided again. This is
/// the statement of the set (`affects`); `channels(for:)` is where on the node to look for it (`ChannelIndex`),
/// and selects at least that set, so a change costs what it can concern, not the node's channel count.
///
/// - A friendship row (a, b) only changes how a and b see each other: it concerns `profile:a` and
///   `location:friends:a` held by b, the same of b held by a, and the `event:` channels held by a or b (the event's creator might be the other one;
///   events created by neither keep their rule for both). A channel of anybody else is untouched.
/// - A privacy level concerns the person's `profile:`, and (deliberately generous, as the change is rare) every
///   `event:` channel.
/// - An attendance row only ever concerns its attendee's own `event:` channel, and only when it is removed
///   (`DirectoryChange.mayRevoke`), so an RSVP burst re-authorizes nobody.
/// - Group, membership, plan, participant and event rows concern their own topic (a plan's rows its
///   `location:plan:` topic too); `.resync` concerns everything.
///
/// The channel's user (`subject`: the `sub` of its token) matters for friendship and attendance rows: nil (a join
/// still being authorized, user not known yet) counts as anyone; a `sub` that is not a uuid, or "" (no `sub`),
/// counts as nobody's.
public enum RevocationScope {
    /// Whether `change` can alter the join decision on `subtopic` for the channel's user.
    public static func affects(_ change: DirectoryChange, subtopic: String, subject: String? = nil) -> Bool {
        guard change.mayRevoke, mayTouch(change, Topic.kind(ofSubtopic: subtopic)),
              case .success(let topic) = Topic.parse(subtopic) else { return false }
        return affects(change, topic: topic, subject: subject)
    }

    /// The same for a channel whose topic was parsed at join (nil: malformed, never concerned): what revocation
    /// asks the hub's channels (`RevalidationCandidate`), with no parse per change.
    public static func affects(_ change: DirectoryChange, topic: Topic?, subject: String?) -> Bool {
        guard change.mayRevoke, let topic, mayTouch(change, topic.kind) else { return false }
        switch change {
        case .resync:
            return true
        case .friendship(_, let a, let b, _):
            switch topic {
            case .event: return holder(subject, isOneOf: a, b)
            case .profile(let owner) where owner == a: return holder(subject, isOneOf: b)
            case .profile(let owner) where owner == b: return holder(subject, isOneOf: a)
            case .locationFriends(let owner) where owner == a: return holder(subject, isOneOf: b)
            case .locationFriends(let owner) where owner == b: return holder(subject, isOneOf: a)
            default: return false
            }
        case .user(_, let user, _):
            return topic.kind == .event || topic == .profile(user)
        case .group(_, let group, _), .groupMember(_, let group, _):
            return topic == .group(group)
        case .plan(_, let plan, _), .planParticipant(_, let plan, _, _):
            return topic == .plan(plan) || topic == .locationPlan(plan)
        case .event(_, let event, _, _, _):
            return topic == .event(event)
        case .attendance(_, let event, let user, _, _):
            return topic == .event(event) && holder(subject, isOneOf: user)
        case .notification, .groupMessage, .row:
            return false
        }
    }

    /// Where the channels `change` concerns are (`ChannelIndex`): nil when it concerns none. Every channel for
    /// which `affects` holds is selected (a test compares the two on random channels).
    public static func channels(for change: DirectoryChange) -> ChannelScope? {
        guard change.mayRevoke else { return nil }
        switch change {
        case .resync:
            return .every
        case .friendship(_, let a, let b, _):
            return ChannelScope(subjects: [id(a), id(b)])
        case .user(_, let user, _):
            return ChannelScope(subtopics: ["profile:\(id(user))"], kinds: [TopicKind.event.rawValue])
        case .group(_, let group, _), .groupMember(_, let group, _):
            return ChannelScope(subtopics: ["group:\(id(group))"])
        case .plan(_, let plan, _), .planParticipant(_, let plan, _, _):
            return ChannelScope(subtopics: ["plan:\(id(plan))", "location:plan:\(id(plan))"])
        case .event(_, let event, _, _, _):
            return ChannelScope(subtopics: ["event:\(id(event))"])
        case .attendance(_, _, let user, _, _):
            return ChannelScope(subjects: [id(user)])
        case .notification, .groupMessage, .row:
            return nil
        }
    }

    /// Nil (not known yet) is anyone; otherwise the subject must be one of `people`'s ids (in any letter case).
    private static func holder(_ subject: String?, isOneOf people: UUID...) -> Bool {
        guard let subject else { return true }
        guard let user = UUIDText.parse(subject) else { return false }
        return people.contains(user)
    }

    private static func id(_ uuid: UUID) -> String { uuid.uuidString.lowercased() }

    /// Whether `change` can concern a topic of `kind` at all: checked on the subtopic's prefix before anything is
    /// parsed.
    static func mayTouch(_ change: DirectoryChange, _ kind: TopicKind) -> Bool {
        switch change {
        case .resync: return true
        case .friendship: return kind == .event || kind == .profile || kind == .locationFriends
        case .user: return kind == .event || kind == .profile
        case .group, .groupMember: return kind == .group
        case .plan, .planParticipant: return kind == .plan || kind == .locationPlan
        case .event, .attendance: return kind == .event
        case .notification, .groupMessage, .row: return false
        }
    }
}
