import NIOCore
import NIOEmbedded
import RallyProtocol
import XCTest
@testable import RallyHub

/// A presence entry carries its owner's audience: the state a subscriber gets and the diffs it receives leave
/// out the entries of people it must not see (a block), and nothing else.
final class PresenceAudienceTests: XCTestCase {
    let loop = EmbeddedEventLoop()

    /// Admits everyone but the listed users.
    struct Excluding: Audience {
        let users: Set<String>
        func admits(_ subscription: ChannelSubscription) -> Bool { !users.contains(subscription.userID ?? "") }
    }

    private func subscriber(_ user: String, id: UInt64) -> ChannelSubscription {
        ChannelSubscription(id: id, topic: "realtime:group:x", joinRef: nil, version: .v1, eventLoop: loop,
                            loopIndex: 0, broadcastSelf: false, presenceEnabled: true, userID: user)
    }

    func testStateLeavesOutTheEntriesAViewerMustNotSee() {
        var table = PresenceTable()
        _ = table.track(owner: 1, key: "erin", meta: [:], ref: "r1", audience: Excluding(users: ["dave"]))
        _ = table.track(owner: 2, key: "bob", meta: [:], ref: "r2", audience: Excluding(users: []))
        let daves = table.stateJSON(for: subscriber("dave", id: 3))
        XCTAssertNil(daves["erin"])
        XCTAssertNotNil(daves["bob"])
        let bobs = table.stateJSON(for: subscriber("bob", id: 4))
        XCTAssertNotNil(bobs["erin"])
        XCTAssertEqual(table.stateJSON()["erin"]?["metas"]?.arrayValue?.count, 1, "no viewer: everything")
    }

    func testDiffsCarryTheOwnersAudienceToTheFanout() {
        var table = PresenceTable()
        let join = table.track(owner: 1, key: "erin", meta: [:], ref: "r1", audience: Excluding(users: ["dave"]))
        let leave = table.untrack(owner: 1)
        for diff in [join, leave] {
            let message = FanoutMessage.push(kind: .presence, topic: "realtime:group:x", event: "presence_diff",
                                             payload: diff!.json(), versions: .all, audience: diff!.audience)
            XCTAssertEqual(message.audience?.admits(subscriber("dave", id: 3)), false)
            XCTAssertEqual(message.audience?.admits(subscriber("bob", id: 4)), true)
        }
    }
}
