import Foundation
import RallyPrivacy

/// A row refers to one that does not exist (a chat message for an unknown group or author); Postgres refuses
/// such a row by foreign key.
public struct MissingRowError: Error, Sendable, Hashable, CustomStringConvertible {
    public var table: String
    public var id: UUID

    public init(table: String, id: UUID) {
        self.table = table
        self.id = id
    }

    public var description: String { "no \(table) row \(id)" }
}

extension InMemoryDirectory: LiveStore {
    public func capacity(of event: UUID) -> CapacityCounts? {
        guard let row = state.events[event] else { return nil }
        let statuses = state.attendance[event, default: [:]].values.map(\.status)
        func count(_ status: String) -> Int { statuses.filter { $0 == status }.count }
        return CapacityCounts(event: event, going: count("going"), interested: count("interested"),
                              maybe: count("maybe"), capacity: row.capacity)
    }

    public func eventDetails(_ event: UUID) -> EventDetails? {
        state.events[event]?.details(id: event)
    }

    public func plan(_ plan: UUID) -> PlanRecord? {
        guard let row = state.plans[plan] else { return nil }
        return PlanRecord(id: plan, title: row.title, organizer: row.organizer, status: row.status, event: row.event,
                          group: row.group, startsAt: row.startsAt)
    }

    public func notification(_ id: UUID) -> NotificationRecord? {
        state.notifications[id]
    }

    public func unreadNotifications(of user: UUID, limit: Int) -> [NotificationRecord] {
        let unread = state.notifications.values.filter { $0.user == user && !$0.isRead }.sorted { a, b in
            a.createdAt == b.createdAt ? uuidOrder(a.id, b.id) : a.createdAt < b.createdAt
        }
        return Array(unread.suffix(max(0, limit)))
    }

    /// Stores the message with the next id and reports it (inline) to `changes()` subscribers.
    public func storeMessage(_ message: NewMessage) throws -> StoredMessage {
        guard let stored = state.store(message, now: Date()) else {
            if state.groups[message.group] == nil { throw MissingRowError(table: "groups", id: message.group) }
            throw MissingRowError(table: "users", id: message.user ?? message.group)
        }
        report([.groupMessage(.insert, id: stored.id, group: stored.group, inline: stored)])
        return stored
    }

    public func message(_ id: Int64) -> StoredMessage? {
        guard let group = state.messageGroups[id] else { return nil }
        return state.messages[group]?.first { $0.id == id }
    }

    public func messages(group: UUID, after afterID: Int64, limit: Int) -> [StoredMessage] {
        Array(state.messages[group, default: []].filter { $0.id > afterID }.prefix(max(0, limit)))
    }

    public func messages(group: UUID, since: Date, limit: Int) -> [StoredMessage] {
        Array(state.messages[group, default: []].filter { $0.createdAt >= since }.suffix(max(0, limit)))
    }

    public func latestMessageID(group: UUID) -> Int64 {
        state.messages[group]?.last?.id ?? 0
    }

    public func relationships(towards user: UUID) -> [UUID: Relationship] {
        let others = Set(state.friendships.keys.compactMap { $0.other(than: user) })
        return Dictionary(uniqueKeysWithValues: others.map { ($0, relationship(of: $0, to: user)) })
    }
}
