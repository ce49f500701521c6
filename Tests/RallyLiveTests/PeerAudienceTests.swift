import Foundation
import NIOEmbedded
import RallyDirectory
import RallyPrivacy
import XCTest
@testable import RallyHub
@testable import RallyLive

/// What a member sends on a group or plan (broadcasts, presence), per viewer relationship to the sender, against
/// the conversation table of docs/privacy.md (`ItemRule.visibleInConversation`): every relationship, both the
/// snapshot audience of a broadcast and the live one of a presence entry, and a block made after the fact.
final class PeerAudienceTests: XCTestCase {
    let loop = EmbeddedEventLoop()
    let sender = UUID()
    let viewers: [(UUID, Relationship)] = Relationship.allCases.map { (UUID(), $0) }

    private func subscription(_ user: String?, serviceRole: Bool = false) -> ChannelSubscription {
        ChannelSubscription(id: 1, topic: "realtime:group:x", joinRef: nil, version: .v1, eventLoop: loop,
                            loopIndex: 0, broadcastSelf: true, presenceEnabled: true, userID: user,
                            isServiceRole: serviceRole)
    }

    private func seed() -> DirectorySeed {
        var friendships: [DirectorySeed.Friendship] = []
        for (viewer, relationship) in viewers {
            switch relationship {
            case .friend: friendships.append(.init(user: sender, friend: viewer, status: .accepted))
            case .pendingOutgoing:
                friendships.append(.init(user: viewer, friend: sender, status: .pending, initiatedBy: viewer))
            case .pendingIncoming:
                friendships.append(.init(user: sender, friend: viewer, status: .pending, initiatedBy: sender))
            case .blocking:
                friendships.append(.init(user: viewer, friend: sender, status: .blocked, initiatedBy: viewer))
            case .blockedBy:
                friendships.append(.init(user: sender, friend: viewer, status: .blocked, initiatedBy: sender))
            case .stranger, .oneself: break
            }
        }
        let people = [sender] + viewers.map(\.0)
        return DirectorySeed(users: people.map { .init(id: $0, name: "p", privacy: .public) }, friendships: friendships)
    }

    func testEveryRelationshipAgainstTheConversationTable() async throws {
        let index = BlockIndex(relationships: RelationshipCache(store: InMemoryDirectory(seed: seed()), capacity: 100))
        try await index.retain(sender)
        let blocks = try XCTUnwrap(index.blocks(of: sender))
        let live = LivePeerAudience(blocks: blocks)
        let snapshot = PeerAudience(blocked: blocks.current)
        for (viewer, relationship) in viewers {
            let id = relationship == .oneself ? sender : viewer
            let expected = ItemRule.visibleInConversation(relationship: relationship, viewer: .authenticated)
            XCTAssertEqual(snapshot.admits(subscription(id.uuidString.lowercased())), expected, "\(relationship)")
            XCTAssertEqual(live.admits(subscription(id.uuidString)), expected, "\(relationship), live")
        }
        XCTAssertTrue(snapshot.admits(subscription(nil, serviceRole: true)))
        XCTAssertTrue(live.admits(subscription("not-a-uuid")), "a stranger to everyone")
    }

    func testABlockAfterTheEntryWasTrackedAppliesToItsLaterDiffs() async throws {
        let directory = InMemoryDirectory(seed: seed())
        let cache = RelationshipCache(store: directory, capacity: 100)
        let index = BlockIndex(relationships: cache)
        try await index.retain(sender)
        let live = LivePeerAudience(blocks: try XCTUnwrap(index.blocks(of: sender)))
        let friend = try XCTUnwrap(viewers.first { $0.1 == .friend }).0
        XCTAssertTrue(live.admits(subscription(friend.uuidString)))
        await directory.apply(.setFriendship(.init(user: sender, friend: friend, status: .blocked,
                                                   initiatedBy: friend)))
        cache.invalidate(sender, friend)
        try await index.refresh([sender, friend])
        XCTAssertFalse(live.admits(subscription(friend.uuidString)))
        index.release(sender)
        XCTAssertNil(index.blocks(of: sender), "released with its last holder")
        XCTAssertFalse(live.admits(subscription(friend.uuidString)), "a kept audience keeps its last value")
    }
}
