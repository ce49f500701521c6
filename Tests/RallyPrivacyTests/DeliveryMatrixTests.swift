import RallyPrivacy
import XCTest

/// The whole matrix: every topic kind × every join row and column × every item row and column of that kind's
/// item class, checked against `DeliveryRule.reaches` (join allowed AND item allowed, per docs/privacy.md).
final class DeliveryMatrixTests: XCTestCase {
    struct ItemEntry {
        var table: Matrix
        var row: String
        var column: String
        var facts: ItemFacts
    }

    func testEveryTopicKindRelationshipPrivacyAndVisibility() throws {
        var counts: [Bool: Int] = [:]
        for kind in TopicKind.allCases {
            let (tableName, column) = joinTable(of: kind)
            let joinMatrix = try MatrixDocument.matrix(tableName)
            let build = try XCTUnwrap(JoinScenarios.builders[tableName])
            let items = try itemEntries(for: ItemClass.of(kind))
            var combinations = 0
            for join in joinMatrix.entries where column == nil || join.column == column {
                let joinCase = try build(join.row, join.column)
                let joinAllowed = try Scenarios.joinCell(join.cell, table: tableName) != nil
                for item in items where linked(kind: kind, join: join, item: item)
                    && possible(item, viewer: joinCase.viewer) {
                    let expected = try joinAllowed && expectedItem(item, viewer: joinCase.viewer)
                    let got = DeliveryRule.reaches(item.facts, topic: joinCase.topic, viewer: joinCase.viewer,
                                                   facts: joinCase.facts, policy: joinCase.policy)
                    XCTAssertEqual(got, expected, "\(kind): join \(join.row) × \(join.column); item \(item.table.name) "
                                   + "\(item.row) × \(item.column)")
                    counts[got, default: 0] += 1
                    combinations += 1
                }
            }
            XCTAssertGreaterThan(combinations, 20, "\(kind) enumerated too little")
        }
        XCTAssertGreaterThan(counts[true] ?? 0, 100)
        XCTAssertGreaterThan(counts[false] ?? 0, 100)
    }

    private func joinTable(of kind: TopicKind) -> (String, String?) {
        switch kind {
        case .event: return ("join-event", nil)
        case .group: return ("join-group", nil)
        case .plan: return ("join-plan", nil)
        case .feed: return ("join-owner", "feed")
        case .user: return ("join-owner", "user")
        case .profile: return ("join-profile", nil)
        case .locationPlan: return ("join-location-plan", nil)
        case .locationFriends: return ("join-location-friends", nil)
        case .freeForm: return ("join-free-form", nil)
        }
    }

    /// Person rows of the item tables (service_role and anon are roles, taken from the joining viewer instead),
    /// plus an item with no person behind it.
    private func itemEntries(for itemClass: ItemClass) throws -> [ItemEntry] {
        let unattributed = Matrix(name: "unattributed", columns: ["any"], rows: [("nobody", ["yes"])])
        var entries = [ItemEntry(table: unattributed, row: "nobody", column: "any", facts: .unattributed)]
        let names = itemClass == .conversation ? ["item-conversation"]
            : PrivacyLevel.allCases.map { "item-activity-\($0.rawValue)" }
        for name in names {
            let matrix = try MatrixDocument.matrix(name)
            let privacy = PrivacyLevel(rawValue: String(name.dropFirst("item-activity-".count))) ?? .public
            for entry in matrix.entries where Scenarios.role(of: entry.row) == .authenticated {
                let visibility = ItemVisibility(rawValue: entry.column) ?? .public
                let facts = ItemFacts(author: try ItemScenarios.author(entry.row, name), actorPrivacy: privacy,
                                      visibility: visibility)
                entries.append(ItemEntry(table: matrix, row: entry.row, column: entry.column, facts: facts))
            }
        }
        return entries
    }

    /// On `profile:` the actor is the owner: the item's relationship and privacy level are the join's.
    private func linked(kind: TopicKind, join: (row: String, column: String, cell: String), item: ItemEntry) -> Bool {
        guard kind == .profile, let privacy = PrivacyLevel(rawValue: join.column), item.facts.author != nil else {
            return true
        }
        let joinRelationship = Scenarios.role(of: join.row) == .authenticated
            ? Scenarios.relationships[Scenarios.normalized(join.row)] : .stranger
        return item.facts.actorPrivacy == privacy && item.facts.author == joinRelationship
    }

    /// An anonymous viewer is a stranger to every author (no relationship can be looked up for it).
    private func possible(_ item: ItemEntry, viewer: ViewerIdentity) -> Bool {
        viewer.role != .anon || item.facts.author == nil || item.facts.author == .stranger
    }

    /// The item table's cell for this viewer: its role's row for service_role and anon, else the item's own row.
    private func expectedItem(_ item: ItemEntry, viewer: ViewerIdentity) throws -> Bool {
        guard item.table.name != "unattributed" else { return true }
        let row: String
        switch viewer.role {
        case .serviceRole: row = "service_role"
        case .anon: row = "anon"
        case .authenticated: row = item.row
        }
        let cell = try XCTUnwrap(item.table.cell(row: row, column: item.column))
        return try Scenarios.itemCell(cell, table: item.table.name)
    }
}
