import Foundation
import NIOConcurrencyHelpers
import NIOCore
import RallyHubTestSupport
import XCTest
@testable import RallyHub

/// The channel index holds exactly what every socket's channels are filed under (each key and how many channels of
/// the socket are under it, nothing left behind), after each transition that files or unfiles a channel.
final class ChannelIndexFilingTests: XCTestCase {
    func testIndexHoldsExactlyTheChannelsAfterEachTransition() async throws {
        let authorizer = HoldingAuthorizer()
        let harness = try await HubHarness(authorizer: authorizer)
        let alice = try await harness.connect(loopIndex: 0, subject: "user-a")
        let bob = try await harness.connect(loopIndex: 1, subject: "User-B")
        let slow = try await harness.connect(loopIndex: 0, subject: "slow-1")

        XCTAssertEqual(alice.join("realtime:event:1")?["status"], .string("ok"))
        XCTAssertEqual(alice.join("realtime:room", ref: "2")?["status"], .string("ok"))
        try await assertFiled(harness, "joins completed", entries: 4)

        // Two channels of one subject (filed under it in lower case, counted twice).
        XCTAssertEqual(bob.join("realtime:room")?["status"], .string("ok"))
        XCTAssertEqual(bob.join("realtime:lobby", ref: "2")?["status"], .string("ok"))
        try await assertFiled(harness, "two channels of one subject", entries: 7)

        // Joins still being authorized, then refused.
        for (ref, topic) in ["realtime:event:1", "realtime:room"].enumerated() {
            slow.send(topic: topic, event: "phx_join", payload: .object(["config": .emptyObject]), ref: "\(ref)",
                      joinRef: "\(ref)")
        }
        XCTAssertTrue(authorizer.waitForHeld(atLeast: 2))
        try await assertFiled(harness, "joining", entries: 8)
        authorizer.releaseAll()
        XCTAssertEqual(slow.waitForReply(ref: "0")?["status"], .string("error"))
        XCTAssertEqual(slow.waitForReply(ref: "1")?["status"], .string("error"))
        try await assertFiled(harness, "joins refused", entries: 7)

        // A leave.
        alice.send(topic: "realtime:room", event: "phx_leave", payload: .emptyObject, ref: "leave")
        XCTAssertNotNil(alice.waitForReply(ref: "leave"))
        try await assertFiled(harness, "leave", entries: 6)

        // A token for another user closes the channel it was sent on.
        let other = try await harness.token(subject: "user-v")
        bob.send(topic: "realtime:room", event: "access_token", payload: .object(["access_token": .string(other)]),
                 ref: "3", joinRef: "1")
        XCTAssertNotNil(bob.transport.waitForEvent("phx_close"))
        try await assertFiled(harness, "identity change", entries: 5)

        // The socket goes.
        try await bob.connection.eventLoop.submit { bob.connection.detach() }.get()
        try await assertFiled(harness, "socket closed", entries: 3)

        try await harness.shutdown()
    }

    /// Compares the index's entries (`socket/key` and its count) with those derived from every attached socket's
    /// channels; `entries` is how many distinct entries there are (the comparison is not vacuous).
    private func assertFiled(_ harness: HubHarness, _ label: String, entries: Int, file: StaticString = #filePath,
                             line: UInt = #line) async throws {
        let services = harness.services
        let expected = NIOLockedValueBox<[String: Int]>([:])
        try await services.connections.forEachConnection(on: harness.group.next()) { connection in
            let id = ObjectIdentifier(connection).debugDescription
            var counts: [String: Int] = [:]
            for channel in connection.registry.channels where connection.transport != nil {
                switch channel.filing {
                case .joining: counts["\(id)/joining", default: 0] += 1
                case .joined(let keys): for key in keys { counts["\(id)/\(key)", default: 0] += 1 }
                }
            }
            expected.withLockedValue { $0.merge(counts) { $0 + $1 } }
            return connection.eventLoop.makeSucceededVoidFuture()
        }.get()
        var filed: [String: Int] = [:]
        for table in services.connections.index.tables {
            let counts = try await table.eventLoop.submit { () -> [String: Int] in
                var counts: [String: Int] = [:]
                func add(_ holders: ChannelIndex.Holders, _ name: String) {
                    for id in holders.sockets.keys { counts["\(id.debugDescription)/\(name)"] = holders.count(of: id) }
                }
                add(table.joining, "joining")
                for (key, holders) in table.byKey { add(holders, "\(key)") }
                return counts
            }.get()
            filed.merge(counts) { $0 + $1 }
        }
        XCTAssertEqual(filed, expected.withLockedValue { $0 }, label, file: file, line: line)
        XCTAssertEqual(filed.count, entries, "\(label): \(filed.keys.sorted())", file: file, line: line)
    }
}
