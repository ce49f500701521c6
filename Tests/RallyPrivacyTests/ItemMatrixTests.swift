import RallyPrivacy
import XCTest

/// Checks `ItemRule` against every cell of the item tables in docs/privacy.md.
final class ItemMatrixTests: XCTestCase {
    static let personRows = ["service_role", "anon", "self", "accepted friend", "pending, viewer asked",
                             "pending, other asked", "viewer blocked other", "other blocked viewer", "stranger"]

    /// One activity table per actor privacy level, each with every relationship × every visibility.
    func testActivityTablesAreCompleteAndMatchTheCode() throws {
        for privacy in PrivacyLevel.allCases {
            let matrix = try MatrixDocument.matrix("item-activity-\(privacy.rawValue)")
            XCTAssertEqual(matrix.rowLabels.map(Scenarios.normalized), Self.personRows, matrix.name)
            XCTAssertEqual(matrix.columns, ItemVisibility.allCases.map(\.rawValue), matrix.name)
            for entry in matrix.entries {
                let expected = try Scenarios.itemCell(entry.cell, table: matrix.name)
                let visibility = try Scenarios.visibility(entry.column, table: matrix.name)
                let got = ItemRule.visible(actorPrivacy: privacy, itemVisibility: visibility,
                                           relationship: try ItemScenarios.relationship(entry.row, matrix.name),
                                           viewer: Scenarios.role(of: entry.row))
                XCTAssertEqual(got, expected, "\(matrix.name): \(entry.row) × \(entry.column)")
            }
            XCTAssertTrue(Set(matrix.entries.map(\.cell)) == ["yes", "no"], "\(matrix.name) shows both outcomes")
        }
    }

    func testConversationTableIsCompleteAndMatchesTheCode() throws {
        let matrix = try MatrixDocument.matrix("item-conversation")
        XCTAssertEqual(matrix.rowLabels.map(Scenarios.normalized), Self.personRows + ["nobody (system item)"])
        XCTAssertEqual(matrix.columns, ["delivered"])
        for entry in matrix.entries {
            let expected = try Scenarios.itemCell(entry.cell, table: matrix.name)
            let item = ItemFacts(author: try ItemScenarios.author(entry.row, matrix.name))
            let got = ItemRule.visible(item, on: .group, viewer: Scenarios.role(of: entry.row))
            XCTAssertEqual(got, expected, "conversation: \(entry.row)")
        }
        XCTAssertEqual(Set(matrix.entries.map(\.cell)), ["yes", "no"])
    }

    func testItemClassOfEveryTopicKind() throws {
        let matrix = try MatrixDocument.matrix("item-class")
        XCTAssertEqual(Set(matrix.rowLabels), Set(TopicKind.allCases.map(\.rawValue)))
        for entry in matrix.entries {
            let kind = try XCTUnwrap(TopicKind(rawValue: entry.row))
            XCTAssertEqual(ItemClass.of(kind).rawValue, entry.cell, "class of \(kind)")
        }
    }

    /// An item on an `event:` topic that names a person is filtered like activity, not sent to all.
    func testAttributedItemOnAnEventTopicIsFilteredAsActivity() {
        let item = ItemFacts(author: .stranger, actorPrivacy: .friendsOnly, visibility: .public)
        XCTAssertFalse(ItemRule.visible(item, on: .event, viewer: .authenticated))
        XCTAssertTrue(ItemRule.visible(.unattributed, on: .event, viewer: .anon))
    }
}

enum ItemScenarios {
    /// The author of an item row: nil for a system item; service_role and anon rows are strangers.
    static func author(_ row: String, _ table: String) throws -> Relationship? {
        if row == "nobody (system item)" { return nil }
        return try relationship(row, table)
    }

    static func relationship(_ row: String, _ table: String) throws -> Relationship {
        if Scenarios.role(of: row) != .authenticated { return .stranger }
        return try Scenarios.relationship(row, table: table)
    }
}
