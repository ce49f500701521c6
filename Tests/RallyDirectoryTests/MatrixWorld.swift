import Foundation
import RallyDirectory
import RallyPrivacy

/// Directory rows that realise every combination of the privacy matrix — each relationship as real friendship
/// rows, each privacy level and visibility as stored values, memberships, participations and attendance — and
/// the decision the pure rules give for each. Loaded into a directory, `decideJoin` and `itemFacts` must
/// reproduce them: the facts are read right for every cell (the rules themselves are checked against
/// docs/privacy.md by RallyPrivacyTests).
struct MatrixWorld {
    struct JoinCase {
        var label: String
        var viewer: ViewerIdentity
        var subtopic: String
        var expected: JoinDecision
    }

    struct ItemCase {
        var label: String
        var actor: UUID
        var visibility: ItemVisibility
        var viewer: ViewerIdentity
        var expected: Bool
    }

    var seed = DirectorySeed()
    var joins: [JoinCase] = []
    var items: [ItemCase] = []
    private var nextID = 10_000

    static func build() -> MatrixWorld {
        var world = MatrixWorld()
        world.addProfiles()
        world.addOwnerTopics()
        world.addEvents()
        world.addGroups()
        world.addPlans()
        world.addItems()
        return world
    }

    mutating func newID() -> UUID {
        nextID += 1
        return ContractFixture.id(nextID)
    }

    mutating func person(_ privacy: PrivacyLevel = .public) -> UUID {
        let id = newID()
        seed.users.append(.init(id: id, name: "p\(nextID)", privacy: privacy))
        return id
    }

    /// A viewer standing in `relationship` to `other`, with the friendship rows that say so. The row direction
    /// is varied on purpose: direction comes from `initiated_by`, not from which column holds whom.
    mutating func viewer(_ relationship: Relationship, to other: UUID) -> UUID {
        if relationship == .oneself { return other }
        let viewer = person()
        let rows: [DirectorySeed.Friendship]
        switch relationship {
        case .friend: rows = [.init(user: other, friend: viewer, status: .accepted)]
        case .pendingOutgoing: rows = [.init(user: viewer, friend: other, status: .pending)]
        case .pendingIncoming: rows = [.init(user: other, friend: viewer, status: .pending)]
        case .blocking: rows = [.init(user: other, friend: viewer, status: .blocked, initiatedBy: viewer)]
        case .blockedBy: rows = [.init(user: viewer, friend: other, status: .blocked, initiatedBy: other)]
        case .stranger, .oneself: rows = []
        }
        seed.friendships += rows
        return viewer
    }

    mutating func join(_ label: String, _ viewer: ViewerIdentity, _ topic: Topic, _ facts: TopicFacts) {
        joins.append(JoinCase(label: label, viewer: viewer, subtopic: topic.subtopic,
                              expected: JoinRule.decide(topic: topic, viewer: viewer, facts: facts)))
    }

    /// service_role and anon on a topic, besides the signed-in cases.
    mutating func roles(_ label: String, _ topic: Topic, anonFacts: TopicFacts) {
        join("\(label) service_role", .service(), topic, anonFacts)
        join("\(label) anon", .anonymous, topic, anonFacts)
    }
}
