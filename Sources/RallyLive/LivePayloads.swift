import Foundation
import NIOCore
import RallyDirectory
import RallyHub
import RallyPrivacy
import RallyProtocol

/// The JSON payloads of Rally's server events (docs/live-data.md is their reference). Pure.
public enum LivePayloads {
    /// `capacity` on `event:<id>`. `live` is false while Rally cannot see changes (database lost): the numbers
    /// may be out of date and a client should show them as such.
    public static func capacity(_ counts: CapacityCounts, live: Bool) -> JSON {
        .object([
            "event_id": .string(counts.event.lowercased),
            "going": .int(counts.going),
            "interested": .int(counts.interested),
            "maybe": .int(counts.maybe),
            "capacity": counts.capacity.map(JSON.int) ?? .null,
            "remaining": counts.remaining.map(JSON.int) ?? .null,
            "full": .bool(counts.isFull),
            "live": .bool(live),
        ])
    }

    /// `event` on `event:<id>`: time, place and whether it was cancelled.
    public static func event(_ details: EventDetails, live: Bool) -> JSON {
        .object([
            "event_id": .string(details.id.lowercased),
            "title": .string(details.title),
            "starts_at": timestamp(details.startsAt),
            "ends_at": timestamp(details.endsAt),
            "location_name": .string(details.locationName),
            "location_address": details.locationAddress.map(JSON.string) ?? .null,
            "cancelled": .bool(!details.isActive),
            "visibility": .string(details.visibility.rawValue),
            "live": .bool(live),
        ])
    }

    /// `event_deleted` on `event:<id>`.
    public static func eventDeleted(_ id: UUID) -> JSON {
        .object(["event_id": .string(id.lowercased), "deleted": .bool(true)])
    }

    /// `plan` on `plan:<id>`.
    public static func plan(_ plan: PlanRecord, live: Bool) -> JSON {
        .object([
            "plan_id": .string(plan.id.lowercased),
            "title": .string(plan.title),
            "status": .string(plan.status),
            "organizer_id": .string(plan.organizer.lowercased),
            "event_id": plan.event.map { .string($0.lowercased) } ?? .null,
            "group_id": plan.group.map { .string($0.lowercased) } ?? .null,
            "starts_at": timestamp(plan.startsAt),
            "live": .bool(live),
        ])
    }

    /// `notification` on `user:<id>`.
    public static func notification(_ record: NotificationRecord) -> JSON {
        .object([
            "id": .string(record.id.lowercased),
            "type": .string(record.type),
            "title": .string(record.title),
            "message": .string(record.message),
            "data": parsedObject(record.dataJSON),
            "is_read": .bool(record.isRead),
            "created_at": timestamp(record.createdAt),
        ])
    }

    /// `message` on `group:<id>`.
    public static func message(_ message: StoredMessage) -> JSON {
        .object([
            "id": .string(String(message.id)),
            "group_id": .string(message.group.lowercased),
            "user_id": message.user.map { .string($0.lowercased) } ?? .null,
            "body": .string(message.body),
            "metadata": parsedObject(message.metadataJSON),
            "inserted_at": timestamp(message.createdAt),
        ])
    }

    /// The `meta` of a chat message broadcast: its id, and `replayed` for history.
    public static func messageMeta(_ id: Int64, replayed: Bool) -> JSON {
        replayed ? .object(["id": .string(String(id)), "replayed": .bool(true)]) : .object(["id": .string(String(id))])
    }

    /// ISO-8601 with milliseconds in UTC, or null.
    public static func timestamp(_ date: Date?) -> JSON {
        guard let date else { return .null }
        return .string(Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date))
    }

    /// A stored JSON object, or `{}` when the text is not one.
    static func parsedObject(_ text: String) -> JSON {
        guard let value = try? JSON.parse(ByteBuffer(string: text)), case .object = value else {
            return .emptyObject
        }
        return value
    }
}

extension Topic {
    /// The hub's topic name (`realtime:` + the canonical subtopic).
    var hubName: String { TopicName.prefix + subtopic }
}

extension UUID {
    /// The lowercase form Rally uses in topics and payloads.
    public var lowercased: String { uuidString.lowercased() }
}
