import Foundation
import RallyDirectory
import RallyPrivacy
import RallyProtocol

/// What the demo page shows of the demo data (`DemoData`): its people, groups, plan and events, and how each
/// person stands towards the viewer (`GET /demo/world?as=<id>`). The relationships are the in-memory
/// directory's answers, the same facts the join and item rules read.
enum DemoWorld {
    static let seed = DemoData.seed

    static func name(of id: UUID) -> String? {
        seed.users.first { $0.id == id }?.name
    }

    /// The person a `?as=` names: a demo person's id or name, in any letter case.
    static func person(named text: String) -> UUID? {
        let wanted = text.lowercased()
        return seed.users.first { $0.name.lowercased() == wanted || $0.id.uuidString.lowercased() == wanted }?.id
    }

    static func document(viewer: UUID?, directory: (any Directory)?) async throws -> JSON {
        var people: [JSON] = []
        for user in seed.users {
            var person: JSONObject = ["id": id(user.id), "name": .string(user.name),
                                      "privacy": .string(user.privacy.rawValue)]
            if let viewer, let directory {
                person["relationship"] = .string(try await directory.relationship(of: viewer, to: user.id).rawValue)
            }
            people.append(.object(person))
        }
        return .object([
            "viewer": viewer.map(id) ?? .null,
            "people": .array(people),
            "groups": .array(seed.groups.map { group in
                .object(["id": id(group.id), "name": .string(group.name), "privacy": .string(group.privacy.rawValue),
                         "members": .array(group.members.map(id))])
            }),
            "plans": .array(seed.plans.map { plan in
                .object(["id": id(plan.id), "title": .string(plan.title), "organizer": id(plan.organizer),
                         "participants": .array(plan.participants.map { participant in
                             .object(["user": id(participant.user), "status": .string(participant.status)])
                         })])
            }),
            "events": .array(seed.events.map { event in
                .object(["id": id(event.id), "title": .string(event.title),
                         "visibility": .string(event.visibility.rawValue), "creator": event.creator.map(id) ?? .null,
                         "capacity": event.capacity.map(JSON.int) ?? .null])
            }),
        ])
    }

    private static func id(_ uuid: UUID) -> JSON {
        .string(uuid.uuidString.lowercased())
    }
}
