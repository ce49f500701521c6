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

    /// The outbound bound counts bytes the socket has not written yet, not bytes ever sent: a subscriber that reads
    /// gets many times the bound over its life (the server learns what was written from the socket, without a
    /// promise per write) and is never taken for a slow consumer.
    func testAReadingSubscriberGetsManyTimesTheOutboundBoundWithoutBeingClosed() async throws {
        let harness = try await NodeHarness { $0.server.maxOutboundBytes = 2048 }
        let subscriber = try await harness.connect(.v1)
        let publisher = try await harness.connect(.v2)
        let subscribed = try await subscriber.connection.join("realtime:steady")
        XCTAssertTrue(subscribed.isOK)
        let publishing = try await publisher.connection.join("realtime:steady", options: JoinOptions(broadcastAck: true))
        XCTAssertTrue(publishing.isOK)
        let text = String(repeating: "y", count: 200)
        for number in 0..<60 {  // ~16 KB in all, 8 times the bound, one message at a time
            let ack = try await publisher.connection.broadcast(
                topic: "realtime:steady", event: "tick", payload: .object(["n": .int(number), "text": .string(text)]),
                awaitAck: true)
            XCTAssertEqual(ack?.isOK, true)
            _ = subscriber.events.wait(count: number + 1) { $0.broadcastEvent == "tick" }
        }
        let ticks = subscriber.events.all.filter { $0.broadcastEvent == "tick" }
        XCTAssertEqual(ticks.map { $0.payload["payload"]?["n"] }, (0..<60).map { JSON.number(String($0)) },
                       "every message, none refused: a 1013 close would have ended the stream")
        try await harness.shutdown()
    }
}
