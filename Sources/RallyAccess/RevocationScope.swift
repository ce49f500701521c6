import Foundation
import RallyDirectory
import RallyPrivacy

/// Which joined topics a directory change can take away: the channels whose join must be decided again.
/// Deliberately generous where narrowing would need more facts (a friendship change re-checks every `event:`
/// channel, as the event's creator might be one of the two); an attendance row only ever concerns its
/// attendee's own `event:` channel, and only when it is removed (`DirectoryChange.mayRevoke`), so an RSVP burst
/// re-authorizes nobody.
public enum RevocationScope {
    /// Whether `change` can alter the join decision on `subtopic` for the channel's user (`subject`: the `sub`
    /// of its token; nil when unknown, which counts as anyone).
    public static func affects(_ change: DirectoryChange, subtopic: String, subject: String? = nil) -> Bool {
        guard change.mayRevoke, mayTouch(change, Topic.kind(ofSubtopic: subtopic)),
              case .success(let topic) = Topic.parse(subtopic) else { return false }
        switch change {
        case .resync:
            return true
        case .friendship(_, let a, let b, _):
            return topic.kind == .event || topic == .profile(a) || topic == .profile(b)
        case .user(_, let user, _):
            return topic.kind == .event || topic == .profile(user)
        case .group(_, let group, _), .groupMember(_, let group, _):
            return topic == .group(group)
        case .plan(_, let plan, _), .planParticipant(_, let plan, _, _):
            return topic == .plan(plan)
        case .event(_, let event, _, _, _):
            return topic == .event(event)
        case .attendance(_, let event, let user, _, _):
            return topic == .event(event) && (subject == nil || subject.flatMap(UUID.init(uuidString:)) == user)
        case .notification, .groupMessage:
            return false
        }
    }

    /// Whether `change` can concern a topic of `kind` at all: checked on the subtopic's prefix before anything is
    /// parsed, since every open channel of the node is asked about every change.
    static func mayTouch(_ change: DirectoryChange, _ kind: TopicKind) -> Bool {
        switch change {
        case .resync: return true
        case .friendship, .user: return kind == .event || kind == .profile
        case .group, .groupMember: return kind == .group
        case .plan, .planParticipant: return kind == .plan
        case .event, .attendance: return kind == .event
        case .notification, .groupMessage: return false
        }
    }
}
