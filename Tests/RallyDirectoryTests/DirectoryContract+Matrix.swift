import Foundation
import RallyDirectory
import RallyPrivacy
import XCTest

extension DirectoryContract {
    static let matrix = MatrixWorld.build()

    /// Every join and item case of the matrix, decided from the directory's own facts.
    static func matrixDecisions(_ d: any Directory) async throws {
        var outcomes: [Bool: Int] = [:]
        for join in matrix.joins {
            let got = try await d.decideJoin(subtopic: join.subtopic, viewer: join.viewer)
            XCTAssertEqual(got, join.expected, join.label)
            outcomes[got.isAllowed, default: 0] += 1
        }
        for item in matrix.items {
            let facts = try await d.itemFacts(actor: item.actor, visibility: item.visibility, viewer: item.viewer)
            let got = ItemRule.visible(facts, on: .profile, viewer: item.viewer.role)
            XCTAssertEqual(got, item.expected, item.label)
            outcomes[got, default: 0] += 1
        }
        // profile 3×7 + 3×2 + 1, feed/user 2×4, event 3×8×2×3 + 1, group 3×4 + 1, plan 8, items 3×7×3×3
        XCTAssertEqual(matrix.joins.count + matrix.items.count, 28 + 8 + 145 + 13 + 8 + 189, "the whole matrix")
        XCTAssertGreaterThan(outcomes[true] ?? 0, 100, "allowed cases")
        XCTAssertGreaterThan(outcomes[false] ?? 0, 100, "denied cases")
    }
}
