import Foundation
import RallyAccess
import RallyDirectory
import RallyHubTestSupport
import RallyPrivacy
import RallyProtocol
import XCTest
@testable import RallyHub

/// The privacy rules in the hub, over the in-memory directory with the demo data: who may join what, and live
/// revocation when the facts change under an open channel.
final class DirectoryAccessTests: XCTestCase {
    private var directory: InMemoryDirectory!
    private var harness: HubHarness!
    private var revocationTask: Task<Void, Never>?

    override func setUp() async throws {
        directory = InMemoryDirectory.demo()
        harness = try await HubHarness(authorizer: DirectoryAuthorizer(directory: directory))
        let changes = await directory.changes()
        let revocation = LiveRevocation(services: harness.services)
        revocationTask = Task { await revocation.run(changes) }
    }

    override func tearDown() async throws {
        revocationTask?.cancel()
        await revocationTask?.value
        try await harness.shutdown()
    }

    func testDemoJoinMatrix() async throws {
        try await DemoJoinMatrix.check(harness)
    }

    func testTheClientsPrivateFlagDoesNotBypassTheRules() async throws {
        let dave = try await harness.connect(subject: DemoJoinMatrix.id(DemoData.dave))
        let subtopic = "group:\(DemoJoinMatrix.id(DemoData.rooftopCrew))"
        for isPrivate in [false, true] {
            let reply = dave.join("realtime:" + subtopic, config: .object(["private": .bool(isPrivate)]),
                                  ref: isPrivate ? "2" : "1")
            XCTAssertEqual(reply?["status"], .string("error"), "private: \(isPrivate)")
        }
    }

    func testRemovedFriendshipClosesTheFriendsOnlyProfile() async throws {
        let bob = try await joined(DemoData.bob, "profile:\(DemoJoinMatrix.id(DemoData.alice))")
        let alice = try await joined(DemoData.alice, "profile:\(DemoJoinMatrix.id(DemoData.alice))")
        await directory.apply(.removeFriendship(user: DemoData.alice, friend: DemoData.bob))
        try assertRevoked(bob, "profile:\(DemoJoinMatrix.id(DemoData.alice))")
        try await harness.settle(alice, topic: "realtime:profile:\(DemoJoinMatrix.id(DemoData.alice))", ref: "hb")
        XCTAssertEqual(alice.transport.count(of: "system"), 0, "the owner keeps their own profile")
    }

    func testRemovedMemberLosesThePrivateGroup() async throws {
        let subtopic = "group:\(DemoJoinMatrix.id(DemoData.rooftopCrew))"
        let bob = try await joined(DemoData.bob, subtopic)
        let alice = try await joined(DemoData.alice, subtopic)
        await directory.apply(.removeMember(group: DemoData.rooftopCrew, user: DemoData.bob))
        try assertRevoked(bob, subtopic)
        try await harness.settle(alice, topic: "realtime:" + subtopic, ref: "hb")
        XCTAssertEqual(alice.transport.count(of: "phx_close"), 0, "the remaining member stays")
        try await bob.connection.eventLoop.submit {}.get() // the unsubscribe follows phx_close on bob's loop
        let count = try await harness.services.hub.subscriberCount(topic: "realtime:" + subtopic).get()
        XCTAssertEqual(count, 1)
    }

    func testPrivacyLevelChangeClosesStrangersProfile() async throws {
        let subtopic = "profile:\(DemoJoinMatrix.id(DemoData.bob))"
        let dave = try await joined(DemoData.dave, subtopic)
        await directory.apply(.setPrivacy(user: DemoData.bob, .private))
        try assertRevoked(dave, subtopic)
    }

    func testBlockClosesTheEventOfTheBlocker() async throws {
        let subtopic = "event:\(DemoJoinMatrix.id(DemoData.aliceBirthday))"
        let bob = try await joined(DemoData.bob, subtopic)
        await directory.apply(.setFriendship(.init(user: DemoData.alice, friend: DemoData.bob, status: .blocked)))
        try assertRevoked(bob, subtopic)
    }

    func testMemberLeavingAPublicGroupKeepsReadingWithoutPresence() async throws {
        let subtopic = "group:\(DemoJoinMatrix.id(DemoData.jazzLovers))"
        let bob = try await joined(DemoData.bob, subtopic)
        try await applyWithoutFeed(.removeMember(group: DemoData.jazzLovers, user: DemoData.bob), then: nil)
        XCTAssertEqual(DemoJoinMatrix.track(bob, topic: "realtime:" + subtopic)?["status"], .string("error"),
                       "downgraded to read-only")
        XCTAssertEqual(bob.transport.count(of: "phx_close"), 0)
    }

    func testResyncReDecidesEveryChannel() async throws {
        let subtopic = "plan:\(DemoJoinMatrix.id(DemoData.fridayDinner))"
        let carol = try await joined(DemoData.carol, subtopic)
        // The change happens while nobody listens (as while the change feed is disconnected); `.resync` follows.
        try await applyWithoutFeed(.removeParticipant(plan: DemoData.fridayDinner, user: DemoData.carol),
                                   then: .resync)
        try assertRevoked(carol, subtopic)
    }

    // MARK: helpers

    /// Stops the live feed, applies `mutation`, then hands `change` (or the mutation's own changes) to a
    /// revocation and waits until every affected channel has been decided again.
    private func applyWithoutFeed(_ mutation: DirectoryMutation, then change: DirectoryChange?) async throws {
        revocationTask?.cancel()
        await revocationTask?.value
        let changes = await directory.apply(mutation)
        XCTAssertFalse(changes.isEmpty)
        let revocation = LiveRevocation(services: harness.services)
        for change in change.map({ [$0] }) ?? changes {
            await revocation.handle(change)
        }
    }

    private func joined(_ user: UUID, _ subtopic: String) async throws -> TestClient {
        let client = try await harness.connect(subject: DemoJoinMatrix.id(user))
        XCTAssertEqual(client.join("realtime:" + subtopic)?["status"], .string("ok"), subtopic)
        return client
    }

    /// The channel got the revocation `system` error then `phx_close`, within one second.
    private func assertRevoked(_ client: TestClient, _ subtopic: String,
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let system = client.transport.waitForEvent("system", topic: "realtime:" + subtopic, timeout: 1,
                                                   file: file, line: line)
        XCTAssertEqual(system?.payloadValue, Replies.system(
            ok: false, message: "Unauthorized: You no longer have permission to read from this Channel topic: \(subtopic)",
            channel: subtopic), file: file, line: line)
        XCTAssertNotNil(client.transport.waitForEvent("phx_close", topic: "realtime:" + subtopic, timeout: 1,
                                                      file: file, line: line))
    }
}
