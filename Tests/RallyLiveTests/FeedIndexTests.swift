import Foundation
import XCTest
@testable import RallyLive

final class FeedIndexTests: XCTestCase {
    let alice = UUID(), bob = UUID(), carol = UUID(), dave = UUID()

    func testOnlineFriendsOfAnActorAreTheViewersWithAFeedOpen() {
        var index = FeedIndex()
        XCTAssertTrue(index.open(bob))
        index.loaded(bob, friends: [alice, carol])
        XCTAssertTrue(index.open(dave))
        index.loaded(dave, friends: [carol])
        XCTAssertEqual(index.friendsOnline(of: alice), [bob])
        XCTAssertEqual(index.friendsOnline(of: carol), [bob, dave])
        XCTAssertEqual(index.friendsOnline(of: dave), [])
    }

    func testASecondChannelNeedsNoLoadAndTheLastCloseForgetsTheViewer() {
        var index = FeedIndex()
        XCTAssertTrue(index.open(bob))
        index.loaded(bob, friends: [alice])
        XCTAssertFalse(index.open(bob))
        index.close(bob)
        XCTAssertEqual(index.friendsOnline(of: alice), [bob])
        index.close(bob)
        XCTAssertEqual(index.friendsOnline(of: alice), [])
        XCTAssertFalse(index.isOnline(bob))
    }

    func testFriendshipChangesDuringTheLoadAreAppliedAfterIt() {
        var index = FeedIndex()
        XCTAssertTrue(index.open(bob))
        index.setFriendship(viewer: bob, other: carol, isFriend: true)
        index.setFriendship(viewer: bob, other: alice, isFriend: false)
        index.loaded(bob, friends: [alice])
        XCTAssertEqual(index.friendsOnline(of: carol), [bob])
        XCTAssertEqual(index.friendsOnline(of: alice), [])
    }

    func testGrantAndRevokeWhileOnline() {
        var index = FeedIndex()
        XCTAssertTrue(index.open(bob))
        index.loaded(bob, friends: [])
        index.setFriendship(viewer: bob, other: dave, isFriend: true)
        XCTAssertEqual(index.friendsOnline(of: dave), [bob])
        index.setFriendship(viewer: bob, other: dave, isFriend: false)
        XCTAssertEqual(index.friendsOnline(of: dave), [])
        index.setFriendship(viewer: carol, other: dave, isFriend: true)
        XCTAssertEqual(index.friendsOnline(of: dave), [], "viewers without a feed open are not tracked")
    }

    func testReplaceFriendsAfterResync() {
        var index = FeedIndex()
        XCTAssertTrue(index.open(bob))
        index.loaded(bob, friends: [alice, carol])
        index.replaceFriends(bob, friends: [carol, dave])
        XCTAssertEqual(index.friendsOnline(of: alice), [])
        XCTAssertEqual(index.friendsOnline(of: dave), [bob])
        XCTAssertEqual(index.friendsOnline(of: carol), [bob])
    }
}
