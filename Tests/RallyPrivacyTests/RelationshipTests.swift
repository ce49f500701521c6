import RallyPrivacy
import XCTest

final class RelationshipTests: XCTestCase {
    func testNoRowIsStranger() {
        XCTAssertEqual(Relationship.between(edges: []), .stranger)
    }

    func testPendingDirectionFollowsTheInitiator() {
        XCTAssertEqual(Relationship.between(edges: [.init(status: .pending, viewerInitiated: true)]), .pendingOutgoing)
        XCTAssertEqual(Relationship.between(edges: [.init(status: .pending, viewerInitiated: false)]), .pendingIncoming)
    }

    func testBlockWinsOverAcceptedAndPendingInEitherDirection() {
        let accepted = FriendshipEdge(status: .accepted, viewerInitiated: true)
        let pending = FriendshipEdge(status: .pending, viewerInitiated: true)
        XCTAssertEqual(Relationship.between(edges: [accepted, .init(status: .blocked, viewerInitiated: false)]),
                       .blockedBy)
        XCTAssertEqual(Relationship.between(edges: [pending, .init(status: .blocked, viewerInitiated: true)]),
                       .blocking)
        XCTAssertEqual(Relationship.between(edges: [pending, accepted]), .friend)
    }

    func testStoredValuesFailClosed() {
        XCTAssertEqual(PrivacyLevel(storedValue: "friends_only"), .friendsOnly)
        XCTAssertEqual(PrivacyLevel(storedValue: "everyone"), .private)
        XCTAssertEqual(PrivacyLevel(storedValue: nil), .private)
        XCTAssertEqual(ItemVisibility(storedValue: "friends"), .friends)
        XCTAssertEqual(ItemVisibility(storedValue: "FRIENDS"), .private)
    }

    func testPrivacyLevelsAreOrderedByOpenness() {
        XCTAssertLessThan(PrivacyLevel.private, .friendsOnly)
        XCTAssertLessThan(PrivacyLevel.friendsOnly, .public)
        XCTAssertEqual(ItemVisibility.friends.ceiling, .friendsOnly)
    }
}
