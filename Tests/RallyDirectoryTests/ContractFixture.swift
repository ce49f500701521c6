import Foundation
import RallyDirectory
import RallyPrivacy

/// The rows both implementations are loaded with: one viewer `v` and someone in every relationship to them.
enum ContractFixture {
    static func id(_ n: Int) -> UUID {
        UUID(uuidString: String(format: "00000000-0000-4000-8000-%012d", n)) ?? UUID()
    }

    static let v = id(1)            // the viewer, public
    static let friend = id(2)       // accepted; v asked; friends_only
    static let friend2 = id(3)      // accepted; friend2 asked, row stored (friend2, v); private
    static let asked = id(4)        // pending, v asked; private
    static let asking = id(5)       // pending, asking asked, row (asking, v); public
    static let blocked = id(6)      // v blocked them; public
    static let blocker = id(7)      // blocked v, row stored (v, blocker) but initiated by blocker; public
    static let stranger = id(8)     // no row; friends_only
    static let mixed = id(9)        // (v, mixed) accepted and (mixed, v) blocked by mixed; public
    static let unknown = id(99)     // not in the directory

    static let privateGroup = id(101), publicGroup = id(102), friendsGroup = id(103)
    static let plan = id(201)
    static let catalogueEvent = id(301), friendsEvent = id(302), privateEvent = id(303)

    static let seed = DirectorySeed(
        users: [
            .init(id: v, name: "V", privacy: .public), .init(id: friend, name: "F", privacy: .friendsOnly),
            .init(id: friend2, name: "F2", privacy: .private), .init(id: asked, name: "P1", privacy: .private),
            .init(id: asking, name: "P2", privacy: .public), .init(id: blocked, name: "B1", privacy: .public),
            .init(id: blocker, name: "B2", privacy: .public), .init(id: stranger, name: "S", privacy: .friendsOnly),
            .init(id: mixed, name: "M", privacy: .public),
        ],
        friendships: [
            .init(user: v, friend: friend, status: .accepted),
            .init(user: friend2, friend: v, status: .accepted),
            .init(user: v, friend: asked, status: .pending),
            .init(user: asking, friend: v, status: .pending),
            .init(user: v, friend: blocked, status: .blocked),
            .init(user: v, friend: blocker, status: .blocked, initiatedBy: blocker),
            .init(user: v, friend: mixed, status: .accepted),
            .init(user: mixed, friend: v, status: .blocked),
        ],
        groups: [
            .init(id: privateGroup, name: "private", createdBy: v, privacy: .private, members: [v, friend]),
            .init(id: publicGroup, name: "public", createdBy: friend, privacy: .public, members: [friend]),
            .init(id: friendsGroup, name: "friends", createdBy: friend, privacy: .friendsOnly, members: [friend]),
        ],
        plans: [
            .init(id: plan, title: "plan", organizer: friend, participants: [
                .init(user: v, status: "accepted"), .init(user: asked, status: "invited"),
                .init(user: stranger, status: "declined"),
            ]),
        ],
        events: [
            .init(id: catalogueEvent, title: "catalogue", creator: nil, visibility: .public, capacity: 3, attendance: [
                .init(user: v, status: "going", visibility: .public),
                .init(user: friend, status: "going", visibility: .friends),
                .init(user: stranger, status: "interested", visibility: .private),
            ]),
            .init(id: friendsEvent, title: "friends", creator: friend, visibility: .friends),
            .init(id: privateEvent, title: "private", creator: stranger, visibility: .private, capacity: 10,
                  attendance: [.init(user: v, status: "not_going", visibility: .private)]),
        ]
    )
}
