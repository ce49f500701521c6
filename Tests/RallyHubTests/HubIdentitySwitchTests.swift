import Foundation
import NIOCore
import RallyAuth
import RallyHubTestSupport
import RallyProtocol
import XCTest
@testable import RallyHub

/// An `access_token` of another user or role mid-session: the channel was filtered, limited and presented as the
/// old identity, so it closes (`IdentityChanged`) and the client joins again as the new one.
final class HubIdentitySwitchTests: XCTestCase {
    func testAnotherUsersTokenClosesTheChannel() async throws {
        let harness = try await HubHarness()
        let client = try await harness.connect(subject: "user-a")
        client.join("realtime:room")
        let other = try await harness.token(subject: "user-v")
        try await assertSwitchCloses(client, to: other)
        try await harness.shutdown()
    }

    func testServiceRoleToUserClosesTheChannel() async throws {
        let harness = try await HubHarness()
        let client = try await harness.connect(subject: nil, role: "service_role")
        client.join("realtime:room")
        let user = try await harness.token(subject: "user-v")
        try await assertSwitchCloses(client, to: user)
        try await harness.shutdown()
    }

    func testSameUserWithAnotherRoleClosesTheChannel() async throws {
        let harness = try await HubHarness()
        let client = try await harness.connect(subject: "user-a")
        client.join("realtime:room")
        let elevated = try await harness.token(subject: "user-a", role: "service_role")
        try await assertSwitchCloses(client, to: elevated)
        try await harness.shutdown()
    }

    func testSameIdentityRefreshKeepsTheSubscription() async throws {
        let harness = try await HubHarness()
        let client = try await harness.connect(subject: "user-a")
        client.join("realtime:room")
        let fresh = try await harness.token(subject: "user-a", expiresIn: 7200)
        client.send(topic: "realtime:room", event: "access_token",
                    payload: .object(["access_token": .string(fresh)]), ref: "2", joinRef: "1")
        let connection = client.connection
        let kept = try await harness.eventually(on: connection) {
            $0.registry.channel("realtime:room")?.tokenFingerprint == TokenFingerprint(fresh)
        }
        XCTAssertTrue(kept, "a refresh for the same user and role is applied in place")
        XCTAssertEqual(client.transport.count(of: "phx_close"), 0)
        try await harness.shutdown()
    }

    /// The switch is decided when the `access_token` is handled: the channel is gone before the next message
    /// of the socket is read, and its subscription left the topic.
    private func assertSwitchCloses(_ client: TestClient, to token: String, file: StaticString = #filePath,
                                    line: UInt = #line) async throws {
        client.send(topic: "realtime:room", event: "access_token",
                    payload: .object(["access_token": .string(token)]), ref: "2", joinRef: "1")
        let system = client.transport.waitForEvent("system")
        XCTAssertEqual(system?.payloadValue?["message"]?.stringValue, ClientConnection.identityChangedMessage,
                       file: file, line: line)
        XCTAssertEqual(system?.payloadValue?["status"], .string("error"), file: file, line: line)
        XCTAssertNotNil(client.transport.waitForEvent("phx_close"), file: file, line: line)
        let connection = client.connection
        let joined = try await connection.eventLoop.submit { connection.registry.channel("realtime:room") != nil }.get()
        XCTAssertFalse(joined, "the channel is closed", file: file, line: line)
        XCTAssertNil(client.transport.closeCode, "the socket stays open", file: file, line: line)
    }
}
