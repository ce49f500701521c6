import Foundation
import RallyPrivacy

extension DirectoryChange {
    /// The JSON fields the triggers send; which ones are present depends on `kind`.
    struct Payload: Codable {
        var kind: String
        var op: ChangeOperation
        var a, b, user, group, plan, event: UUID?
        var status, privacyLevel, visibility: String?
        var active: Bool?
        var id: String?

        enum CodingKeys: String, CodingKey {
            case kind, op, a, b, user, group, plan, event, status, visibility, active, id
            case privacyLevel = "privacy_level"
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
                          active: p.active ?? false)
        case "attendance":
            guard let event = p.event, let user = p.user, let status = p.status else { return nil }
            return .attendance(op, event: event, user: user, status: status,
                               visibility: ItemVisibility(storedValue: p.visibility))
        case "notification":
            guard let id = p.id.flatMap(UUID.init(uuidString:)), let user = p.user else { return nil }
            return .notification(op, id: id, user: user)
        case "group_message":
            guard let id = p.id.flatMap(Int64.init), let group = p.group else { return nil }
            return .groupMessage(op, id: id, group: group)
        default:
            return nil
        }
    }
}
