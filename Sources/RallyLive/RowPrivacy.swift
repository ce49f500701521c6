import Foundation
import RallyDirectory
import RallyPrivacy
import RallyProtocol

/// Whether a viewer may see one row of a served table (docs/live-data.md, "postgres_changes"): the rules of the
/// topic the row belongs to, read from the directory as it is now. Fails closed: a directory error, a missing
/// id, an anonymous viewer are a "no"; `service_role` sees everything.
struct RowPrivacy: Sendable {
    let directory: any Directory

    func visible(_ row: JSONObject, table: String, to viewer: ViewerIdentity) async -> Bool {
        if viewer.isService { return true }
        guard viewer.role == .authenticated, let me = viewer.userID else { return false }
        do {
            switch table {
            case "event_attendance": return try await attendanceVisible(row, viewer: viewer, me: me)
            case "events": return try await eventVisible(row, viewer: viewer, me: me)
            case "group_messages": return try await messageVisible(row, viewer: viewer, me: me)
            case "plans":
                guard let plan = uuid(row, "id") else { return false }
                if uuid(row, "organizer_id") == me { return true }
                return try await joins(.plan(plan), viewer)
            case "plan_participants":
                guard let plan = uuid(row, "plan_id") else { return false }
                if uuid(row, "user_id") == me { return true }
                return try await joins(.plan(plan), viewer)
            default: return false
            }
        } catch {
            return false
        }
    }

    /// One's own RSVP; otherwise the rules of `feed:`/`profile:` items: the event is visible to the viewer, and
    /// the attendee's privacy level AND the stricter of the row's and the event's visibility admit the viewer.
    private func attendanceVisible(_ row: JSONObject, viewer: ViewerIdentity, me: UUID) async throws -> Bool {
        guard let user = uuid(row, "user_id"), let eventID = uuid(row, "event_id") else { return false }
        if user == me { return true }
        guard try await joins(.event(eventID), viewer), let event = try await directory.event(eventID) else {
            return false
        }
        let visibility = ActivityFeed.stricter(ItemVisibility(storedValue: row["visibility"]?.stringValue),
                                               event.visibility)
        let privacy = try await directory.privacyLevel(of: user) ?? .mostRestrictive
        let relationship = try await directory.relationship(of: me, to: user)
        return ItemRule.visible(actorPrivacy: privacy, itemVisibility: visibility, relationship: relationship,
                                viewer: .authenticated)
    }

    /// The rule of `event:` applied to the row itself (so a deleted event is judged by what it was).
    private func eventVisible(_ row: JSONObject, viewer: ViewerIdentity, me: UUID) async throws -> Bool {
        guard let id = uuid(row, "id") else { return false }
        let creator = uuid(row, "created_by_user_id")
        let stored = row["visibility"]?.stringValue ?? (creator == nil ? "public" : "private")
        var relationship: Relationship?
        if let creator { relationship = try await directory.relationship(of: me, to: creator) }
        let facts = EventFacts(visibility: ItemVisibility(storedValue: stored), creator: relationship,
                               viewerAttends: try await directory.hasAttendance(me, event: id))
        return JoinRule.decide(topic: .event(id), viewer: viewer, facts: .event(facts)).isAllowed
    }

    /// A member of the group, not blocked with the author either way.
    private func messageVisible(_ row: JSONObject, viewer: ViewerIdentity, me: UUID) async throws -> Bool {
        guard let group = uuid(row, "group_id"), try await joins(.group(group), viewer) else { return false }
        guard let author = uuid(row, "user_id"), author != me else { return true }
        let relationship = try await directory.relationship(of: me, to: author)
        return ItemRule.visibleInConversation(relationship: relationship, viewer: .authenticated)
    }

    private func joins(_ topic: RallyPrivacy.Topic, _ viewer: ViewerIdentity) async throws -> Bool {
        let facts = try await directory.facts(for: topic, viewer: viewer)
        return JoinRule.decide(topic: topic, viewer: viewer, facts: facts).isAllowed
    }

    private func uuid(_ row: JSONObject, _ column: String) -> UUID? {
        row[column]?.stringValue.flatMap(UUID.init(uuidString:))
    }
}
