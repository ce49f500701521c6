import RallyDirectory
import RallyPrivacy

/// Which joined topics a directory change can take away: the channels whose join must be decided again.
/// Deliberately generous (a friendship change re-checks every `event:` channel, as the event's creator might be
/// one of the two); narrowing it is an optimisation, never a correctness matter.
public enum RevocationScope {
    /// Whether `change` can alter the join decision on `subtopic` for anyone.
    public static func affects(_ change: DirectoryChange, subtopic: String) -> Bool {
        guard change.mayRevoke, case .success(let topic) = Topic.parse(subtopic) else { return false }
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
        case .event(_, let event, _, _, _), .attendance(_, let event, _, _, _):
            return topic == .event(event)
        case .notification, .groupMessage:
            return false
        }
    }
}
