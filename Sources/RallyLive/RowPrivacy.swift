import Foundation
import RallyDirectory
import RallyPrivacy
import RallyProtocol

/// Who may see one row of a served table (docs/live-data.md, "postgres_changes"): the facts of the row are read
/// once (`sight(of:table:)`: the event, the attendee's privacy level, the group's members, the plan's
/// participants, relationships through `RelationshipCache`), then each viewer is decided without I/O — except
/// whether they attend a non-public event, read only when that alone could let them see it. Fails closed: a
/// directory error, a missing id, an anonymous viewer are a "no"; `service_role` sees everything.
struct RowPrivacy: Sendable {
    let directory: any Directory
    /// The event of an RSVP (its visibility and creator, without the counts `Directory.event` adds).
    let store: any LiveStore
    let relationships: RelationshipCache

    func sight(of row: JSONObject, table: String) async -> RowSight {
        do {
            switch table {
            case "event_attendance": return try await attendance(row)
            case "events": return try await event(row)
            case "group_messages":
                guard let group = uuid(row, "group_id") else { return RowSight(rule: .nobody) }
                let author = uuid(row, "user_id")
                return RowSight(rule: .conversation(
                    members: Set(try await directory.groupMembers(group)), author: author,
                    towardsAuthor: try await towards(author)))
            case "plans", "plan_participants":
                let plan = uuid(row, table == "plans" ? "id" : "plan_id")
                let own = uuid(row, table == "plans" ? "organizer_id" : "user_id")
                guard let plan else { return RowSight(rule: .nobody) }
                return RowSight(rule: .participants(Set(try await directory.planParticipants(plan)), own: own))
            default: return RowSight(rule: .nobody)
            }
        } catch {
            return RowSight(rule: .nobody)
        }
    }

    /// One's own RSVP; otherwise the rules of `feed:`/`profile:` items: the event is visible to the viewer, and
    /// the attendee's privacy level AND the stricter of the row's and the event's visibility admit the viewer.
    private func attendance(_ row: JSONObject) async throws -> RowSight {
        guard let user = uuid(row, "user_id"), let eventID = uuid(row, "event_id"),
              let event = try await store.eventDetails(eventID) else {
            return RowSight(rule: .own(uuid(row, "user_id")))
        }
        let item = RowSight.Item(
            actor: user, privacy: try await directory.privacyLevel(of: user) ?? .mostRestrictive,
            visibility: ActivityFeed.stricter(ItemVisibility(storedValue: row["visibility"]?.stringValue),
                                              event.visibility),
            towardsActor: try await relationships.towards(user))
        return RowSight(rule: .item(item, event: try await eventSight(id: eventID, visibility: event.visibility,
                                                                      creator: event.creator)),
                        directory: directory)
    }

    /// The rule of `event:` applied to the row itself (so a deleted event is judged by what it was).
    private func event(_ row: JSONObject) async throws -> RowSight {
        guard let id = uuid(row, "id") else { return RowSight(rule: .nobody) }
        let creator = uuid(row, "created_by_user_id")
        let stored = row["visibility"]?.stringValue ?? (creator == nil ? "public" : "private")
        return RowSight(rule: .event(try await eventSight(id: id, visibility: ItemVisibility(storedValue: stored),
                                                          creator: creator)),
                        directory: directory)
    }

    private func eventSight(id: UUID, visibility: ItemVisibility, creator: UUID?) async throws -> RowSight.Event {
        RowSight.Event(id: id, visibility: visibility, creator: creator,
                       towardsCreator: try await towards(creator))
    }

    /// How each other person stands towards `person`; nobody for no person.
    private func towards(_ person: UUID?) async throws -> [UUID: Relationship] {
        guard let person else { return [:] }
        return try await relationships.towards(person)
    }

    private func uuid(_ row: JSONObject, _ column: String) -> UUID? {
        row[column]?.stringValue.flatMap(UUIDText.parse)
    }
}
