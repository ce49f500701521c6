import Foundation
import RallyPrivacy

/// The directory held in memory: the embedded default (with `DemoData`) and the reference the Postgres one is
/// tested against. `apply` changes it and reports each change to `changes()` subscribers, as the Postgres
/// triggers do through NOTIFY.
public actor InMemoryDirectory: Directory {
    var state = InMemoryState()
    private var subscribers: [UUID: AsyncStream<DirectoryChange>.Continuation] = [:]

    public init(seed: DirectorySeed = DirectorySeed()) {
        state.load(seed)
    }

    /// The demo data (see `DemoData`).
    public static func demo() -> InMemoryDirectory {
        InMemoryDirectory(seed: DemoData.seed)
    }

    /// A stream of every change applied from now on.
    public func changes() -> AsyncStream<DirectoryChange> {
        let (stream, continuation) = AsyncStream.makeStream(of: DirectoryChange.self)
        let id = UUID()
        subscribers[id] = continuation
        continuation.onTermination = { [weak self] _ in
            Task { await self?.unsubscribe(id) }
        }
        return stream
    }

    /// Applies one mutation and reports what changed; returns the changes (empty when nothing did).
    @discardableResult
    public func apply(_ mutation: DirectoryMutation) -> [DirectoryChange] {
        let changes = state.apply(mutation)
        report(changes)
        return changes
    }

    func report(_ changes: [DirectoryChange]) {
        for change in changes {
            for continuation in subscribers.values { continuation.yield(change) }
        }
    }

    private func unsubscribe(_ id: UUID) {
        subscribers[id] = nil
    }

    // MARK: Directory

    public func privacyLevel(of user: UUID) -> PrivacyLevel? {
        state.users[user]
    }

    public func relationship(of viewer: UUID, to other: UUID) -> Relationship {
        if viewer == other { return .oneself }
        let edges = [state.friendships[Pair(viewer, other)], state.friendships[Pair(other, viewer)]]
            .compactMap { $0 }
            .map { FriendshipEdge(status: $0.status, viewerInitiated: $0.initiatedBy == viewer) }
        return Relationship.between(edges: edges)
    }

    public func groupFacts(_ group: UUID, viewer: UUID?) -> GroupFacts? {
        guard let row = state.groups[group] else { return nil }
        let member = viewer.map { state.members[group, default: []].contains($0) } ?? false
        return GroupFacts(privacy: row.privacy, viewerIsMember: member)
    }

    public func planFacts(_ plan: UUID, viewer: UUID?) -> PlanFacts? {
        guard state.plans[plan] != nil else { return nil }
        let participant = viewer.map { state.planParticipants(plan).contains($0) } ?? false
        return PlanFacts(viewerIsParticipant: participant)
    }

    public func event(_ id: UUID) -> EventRecord? {
        guard let row = state.events[id] else { return nil }
        let going = state.attendance[id, default: [:]].values.filter { $0.status == "going" }.count
        return EventRecord(id: id, visibility: row.visibility, creator: row.creator, isActive: row.isActive,
                           capacity: row.capacity, going: going)
    }

    public func hasAttendance(_ user: UUID, event: UUID) -> Bool {
        state.attendance[event]?[user] != nil
    }

    public func acceptedFriends(of user: UUID) -> [UUID] {
        let others = Set(state.friendships.keys.compactMap { $0.other(than: user) })
        return others.filter { relationship(of: user, to: $0) == .friend }.sorted(by: uuidOrder)
    }

    public func groupMembers(_ group: UUID) -> [UUID] {
        state.members[group, default: []].sorted(by: uuidOrder)
    }

    public func planParticipants(_ plan: UUID) -> [UUID] {
        state.planParticipants(plan).sorted(by: uuidOrder)
    }
}

/// Sorts uuids as Postgres does (byte order, which is the order of their lowercase text).
func uuidOrder(_ a: UUID, _ b: UUID) -> Bool {
    a.uuidString.lowercased() < b.uuidString.lowercased()
}

/// An ordered pair of ids, e.g. (`user_id`, `friend_id`).
struct Pair: Hashable {
    var first: UUID
    var second: UUID

    init(_ first: UUID, _ second: UUID) {
        self.first = first
        self.second = second
    }

    func other(than id: UUID) -> UUID? {
        if first == id { return second }
        if second == id { return first }
        return nil
    }
}
