import Foundation
import Logging
import PostgresNIO
import RallyPrivacy

/// The directory read from Postgres through postgres-nio pools, with parameterised queries only. The user and
/// event tables may live in two databases (seed 000): pass a second client for events, or the same one.
/// The clients must be running (`PostgresClient.run()` in a task owned by the caller).
public struct PostgresDirectory: Directory {
    let users: PostgresClient
    let events: PostgresClient
    let logger: Logger

    public init(users: PostgresClient, events: PostgresClient? = nil,
                logger: Logger = Logger(label: "rally.directory")) {
        self.users = users
        self.events = events ?? users
        self.logger = logger
    }

    public func privacyLevel(of user: UUID) async throws -> PrivacyLevel? {
        guard let row = try await firstRow(users, "SELECT privacy_level FROM users WHERE id = \(user)") else {
            return nil
        }
        return PrivacyLevel(storedValue: try row.decode(String?.self))
    }

    public func relationship(of viewer: UUID, to other: UUID) async throws -> Relationship {
        if viewer == other { return .oneself }
        let rows = try await users.query("""
            SELECT status, initiated_by = \(viewer) FROM friendships
            WHERE (user_id = \(viewer) AND friend_id = \(other)) OR (user_id = \(other) AND friend_id = \(viewer))
            """, logger: logger)
        var edges: [FriendshipEdge] = []
        for try await (status, viewerInitiated) in rows.decode((String?, Bool).self) {
            // An unknown status is treated as a block: fail closed.
            let known = status.flatMap(FriendshipStatus.init(rawValue:)) ?? .blocked
            edges.append(FriendshipEdge(status: known, viewerInitiated: viewerInitiated))
        }
        return Relationship.between(edges: edges)
    }

    public func groupFacts(_ group: UUID, viewer: UUID?) async throws -> GroupFacts? {
        guard let row = try await firstRow(users, """
            SELECT g.privacy_level,
                   EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = g.id AND m.user_id = \(viewer))
            FROM groups g WHERE g.id = \(group)
            """) else { return nil }
        let (privacy, member) = try row.decode((String?, Bool).self)
        return GroupFacts(privacy: PrivacyLevel(storedValue: privacy), viewerIsMember: member)
    }

    public func planFacts(_ plan: UUID, viewer: UUID?) async throws -> PlanFacts? {
        guard let row = try await firstRow(users, """
            SELECT COALESCE(p.organizer_id = \(viewer), false) OR EXISTS (
                SELECT 1 FROM plan_participants pp
                WHERE pp.plan_id = p.id AND pp.user_id = \(viewer) AND pp.status <> 'declined')
            FROM plans p WHERE p.id = \(plan)
            """) else { return nil }
        return PlanFacts(viewerIsParticipant: try row.decode(Bool.self))
    }

    public func event(_ id: UUID) async throws -> EventRecord? {
        guard let row = try await firstRow(events, """
            SELECT COALESCE(e.visibility, CASE WHEN e.created_by_user_id IS NULL THEN 'public' ELSE 'private' END),
                   e.created_by_user_id, COALESCE(e.is_active, true), e.capacity,
                   (SELECT count(*) FROM event_attendance a WHERE a.event_id = e.id AND a.status = 'going')
            FROM events e WHERE e.id = \(id)
            """) else { return nil }
        let (visibility, creator, active, capacity, going) = try row.decode((String, UUID?, Bool, Int32?, Int64).self)
        return EventRecord(id: id, visibility: ItemVisibility(storedValue: visibility), creator: creator,
                           isActive: active, capacity: capacity.map(Int.init), going: Int(going))
    }

    public func hasAttendance(_ user: UUID, event: UUID) async throws -> Bool {
        let row = try await firstRow(events,
                                     "SELECT 1 FROM event_attendance WHERE user_id = \(user) AND event_id = \(event)")
        return row != nil
    }

    public func acceptedFriends(of user: UUID) async throws -> [UUID] {
        try await ids(users, """
            SELECT other FROM (
                SELECT CASE WHEN user_id = \(user) THEN friend_id ELSE user_id END AS other, status
                FROM friendships WHERE user_id = \(user) OR friend_id = \(user)) f
            GROUP BY other
            HAVING bool_or(status = 'accepted') AND NOT bool_or(status IS DISTINCT FROM 'accepted'
                AND status IS DISTINCT FROM 'pending')
            ORDER BY other
            """)
    }

    public func groupMembers(_ group: UUID) async throws -> [UUID] {
        try await ids(users, "SELECT user_id FROM group_members WHERE group_id = \(group) ORDER BY user_id")
    }

    public func planParticipants(_ plan: UUID) async throws -> [UUID] {
        try await ids(users, """
            SELECT organizer_id FROM plans WHERE id = \(plan)
            UNION
            SELECT user_id FROM plan_participants WHERE plan_id = \(plan) AND status <> 'declined'
            ORDER BY 1
            """)
    }

    private func firstRow(_ client: PostgresClient, _ query: PostgresQuery) async throws -> PostgresRow? {
        try await client.query(query, logger: logger).collect().first
    }

    private func ids(_ client: PostgresClient, _ query: PostgresQuery) async throws -> [UUID] {
        var result: [UUID] = []
        for try await id in try await client.query(query, logger: logger).decode(UUID.self) {
            result.append(id)
        }
        return result
    }
}
