import Foundation
import RallyClient
import RallyProtocol
import XCTest

/// The whole server with more subscribers per event loop than one flush slice (64): what a publisher that waits for
/// each ack sends reaches every subscriber once and in order, while later publishes join the writes of the sockets
/// not yet flushed; `self: true` lets the sender in (in order too), `self: false` keeps it out.
final class FanoutBatchingTests: XCTestCase {
    func testOneAtATimePublishesReachEverySubscriberOnceInOrderAcrossSlices() async throws {
        let harness = try await NodeHarness()
        var subscribers: [TestConnection] = []
        for index in 0..<140 {
            let client = try await harness.connect(index % 2 == 0 ? .v1 : .v2)
            let reply = try await client.connection.join("realtime:slices")
            XCTAssertTrue(reply.isOK, "\(reply)")
            subscribers.append(client)
        }
        let sender = try await harness.connect(.v2)
        let echoed = try await harness.connect(.v1)
        let senderJoin = try await sender.connection.join("realtime:slices", options: JoinOptions(broadcastAck: true))
        XCTAssertTrue(senderJoin.isOK)
        let echoedJoin = try await echoed.connection.join(
            "realtime:slices", options: JoinOptions(broadcastSelf: true, broadcastAck: true))
        XCTAssertTrue(echoedJoin.isOK)
        // One publisher, so the order is its order (an ack says "accepted": two publishers' messages hop to the
        // topic's shard independently and may be fanned out in either order).
        for number in 0..<30 {
            let ack = try await echoed.connection.broadcast(topic: "realtime:slices", event: "tick",
                                                            payload: .object(["n": .int(number)]), awaitAck: true)
            XCTAssertEqual(ack?.isOK, true)
        }
        for client in subscribers + [echoed] { _ = client.events.wait(count: 30) { $0.broadcastEvent == "tick" } }
        let lastAck = try await sender.connection.broadcast(topic: "realtime:slices", event: "tick",
                                                            payload: .object(["n": .int(30)]), awaitAck: true)
        XCTAssertEqual(lastAck?.isOK, true)
        let expected = (0...30).map { JSON.number(String($0)) }
        for client in subscribers + [echoed] {
            let ticks = client.events.wait(count: 31) { $0.broadcastEvent == "tick" }
            XCTAssertEqual(ticks.map { $0.payload["payload"]?["n"] }, expected, "once each, in order, `self: true` too")
        }
        let senderTicks = sender.events.all.filter { $0.broadcastEvent == "tick" }.map { $0.payload["payload"]?["n"] }
        XCTAssertEqual(senderTicks, Array(expected.dropLast()), "self: false: the sender gets the others' messages only")
        try await harness.shutdown()
    }
}
