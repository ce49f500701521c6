import Foundation
import Logging
import PostgresNIO
import RallyPrivacy

/// The live-data rows read from Postgres (and chat messages written to it) through postgres-nio pools, with
/// parameterised queries only. Like `PostgresDirectory`, the user and event tables may live in two databases
/// (seed 000): pass a second client for events, or none when both are one. The clients must be running.
public struct PostgresLiveStore: LiveStore {
    let users: PostgresClient
    let events: PostgresClient
    let logger: Logger

    public init(users: PostgresClient, events: PostgresClient? = nil,
                logger: Logger = Logger(label: "rally.live-store")) {
        self.users = users
        self.events = events ?? users
        self.logger = logger
    }

    /// One query: the attendance counts by status next to the event's capacity; no row for an unknown event.
    public func capacity(of event: UUID) async throws -> CapacityCounts? {
        guard let row = try await firstRow(events, """
            SELECT e.capacity, a.going, a.interested, a.maybe
            FROM events e, LATERAL (
                SELECT count(*) FILTER (WHERE status = 'going') AS going,
                       count(*) FILTER (WHERE status = 'interested') AS interested,
                       count(*) FILTER (WHERE status = 'maybe') AS maybe
                FROM event_attendance WHERE event_id = e.id) a
            WHERE e.id = \(event)
            """) else { return nil }
        let (capacity, going, interested, maybe) = try row.decode((Int32?, Int64, Int64, Int64).self)
        return CapacityCounts(event: event, going: Int(going), interested: Int(interested), maybe: Int(maybe),
                              capacity: capacity.map(Int.init))
    }

    public func eventDetails(_ event: UUID) async throws -> EventDetails? {
        guard let row = try await firstRow(events, """
            SELECT title, date_time, end_time, location_name, location_address, COALESCE(is_active, true),
                   COALESCE(visibility, CASE WHEN created_by_user_id IS NULL THEN 'public' ELSE 'private' END),
                   created_by_user_id
            FROM events WHERE id = \(event)
            """) else { return nil }
        let (title, startsAt, endsAt, locationName, locationAddress, active, visibility, creator) = try row.decode(
            (String, Date?, Date?, String, String?, Bool, String, UUID?).self)
        return EventDetails(id: event, title: title, startsAt: startsAt, endsAt: endsAt, locationName: locationName,
                            locationAddress: locationAddress, isActive: active,
                            visibility: ItemVisibility(storedValue: visibility), creator: creator)
    }

    public func plan(_ plan: UUID) async throws -> PlanRecord? {
        guard let row = try await firstRow(users, """
            SELECT title, organizer_id, status, event_id, group_id, start_time FROM plans WHERE id = \(plan)
            """) else { return nil }
        let (title, organizer, status, event, group, startsAt) = try row.decode(
            (String, UUID, String, UUID?, UUID?, Date?).self)
        return PlanRecord(id: plan, title: title, organizer: organizer, status: status, event: event, group: group,
                          startsAt: startsAt)
    }

    public func relationships(towards user: UUID) async throws -> [UUID: Relationship] {
        let rows = try await users.query("""
            SELECT other, status, initiated_by = other FROM (
                SELECT CASE WHEN user_id = \(user) THEN friend_id ELSE user_id END AS other, status, initiated_by
                FROM friendships WHERE user_id = \(user) OR friend_id = \(user)) f
            """, logger: logger)
        var edges: [UUID: [FriendshipEdge]] = [:]
        for try await (other, status, otherInitiated) in rows.decode((UUID, String?, Bool).self) {
            // An unknown status is treated as a block: fail closed.
            let known = status.flatMap(FriendshipStatus.init(rawValue:)) ?? .blocked
            edges[other, default: []].append(FriendshipEdge(status: known, viewerInitiated: otherInitiated))
        }
        return edges.mapValues { Relationship.between(edges: $0) }
    }

    func firstRow(_ client: PostgresClient, _ query: PostgresQuery) async throws -> PostgresRow? {
        try await client.query(query, logger: logger).collect().first
    }

    /// Every row of `query` decoded by `decode`, in order.
    func rows<Element>(_ client: PostgresClient, _ query: PostgresQuery,
                       _ decode: (PostgresRow) throws -> Element) async throws -> [Element] {
        var result: [Element] = []
        for try await row in try await client.query(query, logger: logger) {
            result.append(try decode(row))
        }
        return result
    }
}
