/// What a subscriber may do once joined.
public struct JoinAccess: Sendable, Hashable {
    /// May send `broadcast` messages (chat, typing, votes) on the topic.
    public var canBroadcast: Bool
    /// May `track` presence on the topic (others then see it there).
    public var canTrackPresence: Bool

    public init(canBroadcast: Bool, canTrackPresence: Bool) {
        self.canBroadcast = canBroadcast
        self.canTrackPresence = canTrackPresence
    }

    /// Read, broadcast and presence.
    public static let full = JoinAccess(canBroadcast: true, canTrackPresence: true)
    /// Receive only: no broadcast, no presence.
    public static let readOnly = JoinAccess(canBroadcast: false, canTrackPresence: false)
}

/// Why a join was refused. Log it; do not tell the client which one (an unknown id and a hidden one must look
/// the same, or ids could be probed).
public enum JoinDenial: String, Sendable, Hashable {
    /// An identified kind with a bad id (`event:abc`, upper case, trailing text).
    case malformedTopic = "malformed_topic"
    /// The topic needs a signed-in user and the viewer is `anon`.
    case signInRequired = "sign_in_required"
    /// No such event, group, plan or user.
    case notFound = "not_found"
    /// A block in either direction between the viewer and the person behind the topic.
    case blocked = "blocked"
    /// The privacy level, visibility, membership or ownership does not include the viewer.
    case notAllowed = "not_allowed"
    /// The facts given do not belong to the topic's kind (a programming error; fail closed).
    case factsMismatch = "facts_mismatch"
}

/// The outcome of a join.
public enum JoinDecision: Sendable, Hashable {
    case allow(JoinAccess)
    case deny(JoinDenial)

    public var isAllowed: Bool {
        if case .allow = self { return true }
        return false
    }

    public var access: JoinAccess? {
        if case .allow(let access) = self { return access }
        return nil
    }
}

/// Settings of the join rules that are configurable.
public struct JoinPolicy: Sendable, Hashable {
    /// Whether `anon` may join free-form rooms (SPEC §2: default signed-in users only).
    public var allowAnonymousFreeForm: Bool

    public init(allowAnonymousFreeForm: Bool = false) {
        self.allowAnonymousFreeForm = allowAnonymousFreeForm
    }
}
