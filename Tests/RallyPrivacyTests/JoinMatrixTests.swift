import RallyPrivacy
import XCTest

/// Checks `JoinRule` against every cell of the join tables in docs/privacy.md.
final class JoinMatrixTests: XCTestCase {
    func testEveryJoinTableIsCompleteAndMatchesTheCode() throws {
        for (name, build) in JoinScenarios.builders where name != "join-malformed" {
            let matrix = try MatrixDocument.matrix(name)
            try assertComplete(matrix)
            for entry in matrix.entries {
                let expected = try Scenarios.joinCell(entry.cell, table: name)
                let join = try build(entry.row, entry.column)
                let decision = JoinRule.decide(topic: join.topic, viewer: join.viewer, facts: join.facts,
                                               policy: join.policy)
                XCTAssertEqual(decision.access, expected?.access,
                               "\(name): \(entry.row) × \(entry.column) should be \(entry.cell), got \(decision)")
                XCTAssertEqual(decision.isAllowed, expected != nil)
            }
            assertBothOutcomes(matrix)
        }
    }

    func testMalformedTopicsAreRefusedForEveryone() throws {
        let matrix = try MatrixDocument.matrix("join-malformed")
        XCTAssertGreaterThanOrEqual(matrix.columns.count, 5)
        for entry in matrix.entries {
            XCTAssertNil(try Scenarios.joinCell(entry.cell, table: matrix.name), "doc must say no: \(entry)")
            let viewer = Scenarios.viewer(entry.row)
            let decision = JoinRule.decide(subtopic: entry.column, viewer: viewer, facts: .none)
            XCTAssertEqual(decision, .deny(.malformedTopic), "\(entry.row) joining \(entry.column)")
        }
    }

    /// The facts loader may skip the directory when `needsFacts` is false; the decision must then not depend on
    /// the facts at all.
    func testDecisionsWithoutFactsDoNotDependOnFacts() throws {
        let allFacts: [TopicFacts] = [
            .none, .event(nil), .group(nil), .plan(nil), .profile(nil),
            .profile(ProfileFacts(ownerPrivacy: .public, relationship: .friend)),
            .group(GroupFacts(privacy: .public, viewerIsMember: true)), .plan(PlanFacts(viewerIsParticipant: true)),
        ]
        for (name, build) in JoinScenarios.builders where name != "join-malformed" {
            for entry in try MatrixDocument.matrix(name).entries {
                let join = try build(entry.row, entry.column)
                guard !JoinRule.needsFacts(topic: join.topic, viewer: join.viewer) else { continue }
                let decisions = Set(allFacts.map {
                    JoinRule.decide(topic: join.topic, viewer: join.viewer, facts: $0, policy: join.policy)
                })
                XCTAssertEqual(decisions.count, 1, "\(name) \(entry.row) × \(entry.column) depends on facts")
            }
        }
    }

    func testFactsOfAnotherKindAreRefused() {
        let viewer = ViewerIdentity.signedIn(Scenarios.viewerID)
        let wrong = TopicFacts.group(GroupFacts(privacy: .public, viewerIsMember: true))
        XCTAssertEqual(JoinRule.decide(topic: .event(Scenarios.objectID), viewer: viewer, facts: wrong),
                       .deny(.factsMismatch))
        XCTAssertEqual(JoinRule.decide(topic: .profile(Scenarios.otherID), viewer: viewer, facts: wrong),
                       .deny(.factsMismatch))
        XCTAssertEqual(JoinRule.decide(topic: .plan(Scenarios.objectID), viewer: viewer, facts: .none),
                       .deny(.factsMismatch))
    }

    func testDenialsSayWhy() {
        let stranger = ViewerIdentity.signedIn(Scenarios.viewerID)
        let blocked = TopicFacts.profile(ProfileFacts(ownerPrivacy: .public, relationship: .blockedBy))
        XCTAssertEqual(JoinRule.decide(topic: .profile(Scenarios.otherID), viewer: stranger, facts: blocked),
                       .deny(.blocked))
        XCTAssertEqual(JoinRule.decide(topic: .feed(Scenarios.otherID), viewer: .anonymous, facts: .none),
                       .deny(.signInRequired))
        XCTAssertEqual(JoinRule.decide(topic: .group(Scenarios.objectID), viewer: stranger, facts: .group(nil)),
                       .deny(.notFound))
    }

    private func assertComplete(_ matrix: Matrix, file: StaticString = #filePath, line: UInt = #line) throws {
        let axes = try XCTUnwrap(JoinScenarios.expectedAxes[matrix.name], "no axes for \(matrix.name)")
        XCTAssertEqual(Set(matrix.rowLabels), Set(axes.rows), "\(matrix.name) rows", file: file, line: line)
        XCTAssertEqual(matrix.rowLabels.count, axes.rows.count, "\(matrix.name) repeats a row", file: file, line: line)
        XCTAssertEqual(matrix.columns, axes.columns, "\(matrix.name) columns", file: file, line: line)
    }

    private func assertBothOutcomes(_ matrix: Matrix, file: StaticString = #filePath, line: UInt = #line) {
        let cells = Set(matrix.entries.map(\.cell))
        XCTAssertTrue(cells.contains("no") && cells.contains("full"), "\(matrix.name) must show allowed and denied",
                      file: file, line: line)
    }
}
