import Foundation
import RallyPrivacy

extension DirectoryChange {
    /// The JSON fields the triggers send; which ones are present depends on `kind`.
    struct Payload: Codable {
        var kind: String
        var op: ChangeOperation
        var a, b, user, group, plan, event, creator: UUID?
        var status, privacyLevel, visibility: String?
        var active: Bool?
        var id: String?
        /// The inline row of a notification or chat message (`Migrations.liveDataUsers`).
        var type, title, message, data, body, metadata: String?
        var isRead: Bool?
        /// Microseconds since the Unix epoch.
        var createdAt: Int64?
        /// A served row (`kind: "row"`): its table, the rows as JSON text, the transaction's time.
        var table, record, oldRecord, commitTimestamp: String?
        var partial: Bool?

        enum CodingKeys: String, CodingKey {
            case kind, op, a, b, user, group, plan, event, creator, status, visibility, active, id
            case type, title, message, data, body, metadata
            case privacyLevel = "privacy_level"
            case isRead = "is_read"
            case createdAt = "created_at"
            case table, record, partial
            case oldRecord = "old_record"
            case commitTimestamp = "commit_timestamp"
        }
    }

    /// Parses a `rally_changes` NOTIFY payload.
    public static func parse(payload text: String) throws -> DirectoryChange {
        let payload: Payload
        do {
            payload = try JSONDecoder().decode(Payload.self, from: Data(text.utf8))
        } catch {
            throw UnknownChangePayload(payload: text)
        }
        guard let change = make(payload) else { throw UnknownChangePayload(payload: text) }
        return change
    }

    // The payload is flat; each kind picks its fields and fails when one is missing.
    static func make(_ p: Payload) -> DirectoryChange? {
        let op = p.op
        switch p.kind {
        case "friendship":
            guard let a = p.a, let b = p.b, let status = p.status.flatMap(FriendshipStatus.init) else { return nil }
            return .friendship(op, a: a, b: b, status: status)
        case "user":
            return p.user.map { .user(op, user: $0, privacy: PrivacyLevel(storedValue: p.privacyLevel)) }
        case "group":
            return p.group.map { .group(op, group: $0, privacy: PrivacyLevel(storedValue: p.privacyLevel)) }
        case "group_member":
            guard let group = p.group, let user = p.user else { return nil }
            return .groupMember(op, group: group, user: user)
        case "plan":
            guard let plan = p.plan, let status = p.status else { return nil }
            return .plan(op, plan: plan, status: status)
        case "plan_participant":
            guard let plan = p.plan, let user = p.user, let status = p.status else { return nil }
            return .planParticipant(op, plan: plan, user: user, status: status)
        default:
            return makeLiveData(p)
        }
    }

    static func makeLiveData(_ p: Payload) -> DirectoryChange? {
        let op = p.op
        switch p.kind {
        case "event":
            guard let event = p.event else { return nil }
            return .event(op, event: event, visibility: ItemVisibility(storedValue: p.visibility),
                          active: p.active ?? false, creator: p.creator)
        case "attendance":
            guard let event = p.event, let user = p.user, let status = p.status else { return nil }
            return .attendance(op, event: event, user: user, status: status,
                               visibility: ItemVisibility(storedValue: p.visibility))
        case "notification":
            guard let id = p.id.flatMap(UUIDText.parse), let user = p.user else { return nil }
            return .notification(op, id: id, user: user, inline: inlineNotification(p, id: id, user: user))
        case "row":
            guard let table = p.table, let time = p.commitTimestamp else { return nil }
            return .row(RowChange(table: table, operation: op, commitTimestamp: time, record: p.record,
                                  oldRecord: p.oldRecord, partial: p.partial ?? false))
        case "group_message":
            guard let id = p.id.flatMap(Int64.init), let group = p.group else { return nil }
            return .groupMessage(op, id: id, group: group, inline: inlineMessage(p, id: id, group: group),
                                 author: op == .delete ? p.user : nil)
        default:
            return nil
        }
    }

    /// The notification row when the payload carries it whole; nil when it carries only ids.
    static func inlineNotification(_ p: Payload, id: UUID, user: UUID) -> NotificationRecord? {
        guard let type = p.type, let title = p.title, let message = p.message, let data = p.data,
              let isRead = p.isRead, let createdAt = p.createdAt else { return nil }
        return NotificationRecord(id: id, user: user, type: type, title: title, message: message, dataJSON: data,
                                  isRead: isRead, createdAt: Date(epochMicroseconds: createdAt))
    }

    /// The chat message when the payload carries it whole; nil when it carries only ids.
    static func inlineMessage(_ p: Payload, id: Int64, group: UUID) -> StoredMessage? {
        guard let body = p.body, let metadata = p.metadata, let createdAt = p.createdAt else { return nil }
        return StoredMessage(id: id, group: group, user: p.user, body: body, metadataJSON: metadata,
                             createdAt: Date(epochMicroseconds: createdAt))
    }
}

extension Date {
    /// The start of PostgreSQL's own epoch, 2000-01-01 UTC.
    private static let postgresEpoch = Date(timeIntervalSince1970: 946_684_800)

    /// A timestamp sent as microseconds since the Unix epoch, computed exactly as postgres-nio decodes a
    /// TIMESTAMP(TZ) (microseconds since 2000), so the two `Date`s are equal.
    init(epochMicroseconds: Int64) {
        let sincePostgresEpoch = epochMicroseconds - 946_684_800_000_000
        self.init(timeInterval: Double(sincePostgresEpoch) / 1_000_000, since: Date.postgresEpoch)
    }
}
