import Foundation
import NIOEmbedded
import RallyAuth
import RallyDirectory
import RallyProtocol
import XCTest
@testable import RallyHub
@testable import RallyLive

/// Which channels' broadcasts the live feeds call ordinary at join (`LiveFeeds.broadcastsAreOrdinary`): exactly those
/// whose every write they would publish as sent, for everyone joined.
final class OrdinaryBroadcastsTests: XCTestCase {
    func testOnlyFreeFormRoomsAreOrdinary() async throws {
        let loop = EmbeddedEventLoop()
        let directory = InMemoryDirectory()
        let feeds = LiveFeeds(hub: Hub(loops: [loop]), directory: directory, store: directory)
        let id = UUID().uuidString.lowercased()
        let user = Identity(role: .authenticated, rawRole: "authenticated", subject: id, expiresAt: .distantFuture)
        let service = Identity(role: .serviceRole, rawRole: "service_role", subject: nil, expiresAt: .distantFuture)
        let subtopics = ["lobby", "room:1", "event:\(id)", "plan:\(id)", "group:\(id)", "user:\(id)", "feed:\(id)",
                         "profile:\(id)", "location:plan:\(id)", "location:friends:\(id)", "event:not-a-uuid"]
        for identity in [user, service] {
            for subtopic in subtopics {
                let join = FeedJoin(topic: TopicName.prefix + subtopic, subtopic: subtopic, identity: identity,
                                    config: JoinConfig(), subscriptionID: 1)
                let expected = join.writePolicy == .freeForm
                XCTAssertEqual(feeds.broadcastsAreOrdinary(join), expected, "\(subtopic) as \(identity.role)")
                guard expected else { continue }
                // What the per-message questions would have answered, for any event.
                for event in ["message", "typing", "capacity", "position"] {
                    let write = FeedWrite(join: join, event: event, payload: .json(.emptyObject))
                    guard case .publish = feeds.write(write) else { return XCTFail("\(subtopic) \(event)") }
                }
                XCTAssertNil(feeds.audience(of: join, live: false), subtopic)
            }
        }
        try await loop.close()
    }
}
