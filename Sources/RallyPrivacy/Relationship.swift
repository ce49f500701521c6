/// How a viewer stands towards another person (the profile owner, the actor of an item, an event's creator),
/// derived from `friendships` rows in either direction. A block in either direction wins over everything else,
/// then an accepted friendship, then a pending request.
public enum Relationship: String, Sendable, Hashable, CaseIterable {
    /// The viewer is that person.
    case oneself = "self"
    /// An accepted friendship, in either direction.
    case friend = "friend"
    /// The viewer asked, the other person has not accepted yet.
    case pendingOutgoing = "pending_outgoing"
    /// The other person asked, the viewer has not accepted yet.
    case pendingIncoming = "pending_incoming"
    /// The viewer blocked the other person.
    case blocking = "blocking"
    /// The other person blocked the viewer.
    case blockedBy = "blocked_by"
    /// No friendship row at all.
    case stranger = "stranger"

    /// A block in either direction: neither sees anything of the other.
    public var isBlocked: Bool {
        self == .blocking || self == .blockedBy
    }

    /// An accepted friend or the person themself.
    public var isFriendOrSelf: Bool {
        self == .friend || self == .oneself
    }
}

/// The stored status of one `friendships` row.
public enum FriendshipStatus: String, Sendable, Hashable, CaseIterable {
    case pending
    case accepted
    case blocked
}

/// One `friendships` row seen from a viewer: its status and whether the viewer is `initiated_by`
/// (for `pending`: the viewer asked; for `blocked`: the viewer blocked).
public struct FriendshipEdge: Sendable, Hashable {
    public var status: FriendshipStatus
    public var viewerInitiated: Bool

    public init(status: FriendshipStatus, viewerInitiated: Bool) {
        self.status = status
        self.viewerInitiated = viewerInitiated
    }
}

extension Relationship {
    /// The relationship given every friendship row between two different people (there may be one per direction).
    /// Precedence: blocked, then accepted, then pending; no row is `stranger`.
    public static func between(edges: [FriendshipEdge]) -> Relationship {
        if let block = edges.first(where: { $0.status == .blocked }) {
            return block.viewerInitiated ? .blocking : .blockedBy
        }
        if edges.contains(where: { $0.status == .accepted }) {
            return .friend
        }
        if let pending = edges.first(where: { $0.status == .pending }) {
            return pending.viewerInitiated ? .pendingOutgoing : .pendingIncoming
        }
        return .stranger
    }
}
