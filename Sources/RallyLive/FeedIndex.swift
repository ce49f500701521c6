import Foundation

/// Which viewers with an open `feed:<viewer>` on this node are friends of whom: for an actor, the online
/// friends to deliver to, found without looking at offline friends or other users. A viewer's friends are
/// loaded once when their first feed channel opens; friendship changes that arrive while that load runs are
/// replayed after it. Pure value type; the owner serialises access.
public struct FeedIndex: Sendable {
    struct Viewer: Sendable {
        var channels = 0
        var friends: Set<UUID> = []
        var isLoading = true
        /// Friendship changes seen while loading: other person → is a friend now.
        var pending: [(UUID, Bool)] = []
    }

    private var viewers: [UUID: Viewer] = [:]
    /// actor → online viewers who are the actor's friends.
    private var onlineFriends: [UUID: Set<UUID>] = [:]

    public init() {}

    /// A feed channel of `viewer` opened; true when the viewer's friends must be loaded (`loaded`).
    public mutating func open(_ viewer: UUID) -> Bool {
        if viewers[viewer] != nil {
            viewers[viewer]!.channels += 1
            return false
        }
        viewers[viewer] = Viewer(channels: 1)
        return true
    }

    /// The viewer's accepted friends as loaded (or `nil` when loading failed: the viewer sees nothing until
    /// the next change re-checks).
    public mutating func loaded(_ viewer: UUID, friends: [UUID]) {
        guard var entry = viewers[viewer], entry.isLoading else { return }
        entry.isLoading = false
        entry.friends = Set(friends)
        for (other, isFriend) in entry.pending {
            if isFriend { entry.friends.insert(other) } else { entry.friends.remove(other) }
        }
        entry.pending = []
        viewers[viewer] = entry
        for friend in entry.friends { onlineFriends[friend, default: []].insert(viewer) }
    }

    /// A feed channel of `viewer` closed.
    public mutating func close(_ viewer: UUID) {
        guard var entry = viewers[viewer] else { return }
        entry.channels -= 1
        guard entry.channels <= 0 else {
            viewers[viewer] = entry
            return
        }
        viewers[viewer] = nil
        for friend in entry.friends { removeOnline(viewer, of: friend) }
    }

    /// Whether `viewer` has a feed open here (the relationship of such viewers is worth re-checking).
    public func isOnline(_ viewer: UUID) -> Bool { viewers[viewer] != nil }

    /// `viewer` and `other` are now friends (or no longer are).
    public mutating func setFriendship(viewer: UUID, other: UUID, isFriend: Bool) {
        guard var entry = viewers[viewer] else { return }
        if entry.isLoading {
            entry.pending.append((other, isFriend))
            viewers[viewer] = entry
            return
        }
        if isFriend {
            entry.friends.insert(other)
            onlineFriends[other, default: []].insert(viewer)
        } else {
            entry.friends.remove(other)
            removeOnline(viewer, of: other)
        }
        viewers[viewer] = entry
    }

    /// Sets a viewer's friends anew (after the change feed reconnected).
    public mutating func replaceFriends(_ viewer: UUID, friends: [UUID]) {
        guard let entry = viewers[viewer], !entry.isLoading else { return }
        let now = Set(friends)
        for gone in entry.friends.subtracting(now) { setFriendship(viewer: viewer, other: gone, isFriend: false) }
        for new in now.subtracting(entry.friends) { setFriendship(viewer: viewer, other: new, isFriend: true) }
    }

    /// The online viewers who are `actor`'s friends.
    public func friendsOnline(of actor: UUID) -> Set<UUID> {
        onlineFriends[actor] ?? []
    }

    /// Viewers with an open feed (for a full re-check after the change feed reconnected).
    public var onlineViewers: [UUID] { Array(viewers.keys) }

    private mutating func removeOnline(_ viewer: UUID, of actor: UUID) {
        onlineFriends[actor]?.remove(viewer)
        if onlineFriends[actor]?.isEmpty == true { onlineFriends[actor] = nil }
    }
}
