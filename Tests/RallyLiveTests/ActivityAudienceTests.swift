import Foundation
import NIOEmbedded
import RallyPrivacy
import XCTest
@testable import RallyHub
@testable import RallyLive

/// The per-subscriber filter of one activity item: two subscribers of one topic get different answers, and a
/// subscriber the filter cannot place (no usable user id) is refused while the others are unaffected.
final class ActivityAudienceTests: XCTestCase {
    let actor = UUID(), friend = UUID(), stranger = UUID(), blocker = UUID()
    let loop = EmbeddedEventLoop()

    private func subscription(_ user: String?, serviceRole: Bool = false) -> ChannelSubscription {
        ChannelSubscription(id: 1, topic: "realtime:profile:x", joinRef: nil, version: .v1, eventLoop: loop,
                            loopIndex: 0, broadcastSelf: false, presenceEnabled: false, userID: user,
                            isServiceRole: serviceRole)
    }

    private func audience(_ privacy: PrivacyLevel, _ visibility: ItemVisibility,
                          eventViewers: Set<UUID>? = nil) -> ActivityAudience {
        ActivityAudience(actor: actor, actorPrivacy: privacy, visibility: visibility,
                         relationships: [friend: .friend, blocker: .blocking], eventViewers: eventViewers)
    }

    func testFriendsItemReachesTheFriendAndTheActorOnly() {
        let item = audience(.public, .friends)
        XCTAssertTrue(item.admits(subscription(friend.uuidString)))
        XCTAssertTrue(item.admits(subscription(actor.uuidString.lowercased())))
        XCTAssertFalse(item.admits(subscription(stranger.uuidString)))
        XCTAssertFalse(item.admits(subscription(blocker.uuidString)))
    }

    func testAnUnplaceableSubscriberIsRefusedAndTheOthersAreNot() {
        let item = audience(.public, .public)
        XCTAssertFalse(item.admits(subscription(nil)))
        XCTAssertFalse(item.admits(subscription("not-a-uuid")))
        XCTAssertTrue(item.admits(subscription(stranger.uuidString)))
        XCTAssertTrue(item.admits(subscription(nil, serviceRole: true)))
    }

    func testANonPublicEventLimitsTheItemToThoseWhoMaySeeTheEvent() {
        let item = audience(.public, .public, eventViewers: [actor, friend])
        XCTAssertTrue(item.admits(subscription(friend.uuidString)))
        XCTAssertFalse(item.admits(subscription(stranger.uuidString)))
    }

    func testConversationAudienceStopsOnlyAtABlock() {
        let message = ConversationAudience(author: actor, relationships: [blocker: .blocking, friend: .friend])
        XCTAssertTrue(message.admits(subscription(stranger.uuidString)))
        XCTAssertTrue(message.admits(subscription(friend.uuidString)))
        XCTAssertFalse(message.admits(subscription(blocker.uuidString)))
    }
}
