import Foundation
import RallyClient
import RallyDirectory
import RallyProtocol
import XCTest

/// An account switch on one socket (`access_token` of another user): the channels joined as the old identity
/// close with `IdentityChanged`, and from then on everything is decided for the new one. Dave blocked Erin; both
/// are members of Jazz lovers with Bob.
final class IdentitySwitchTests: XCTestCase {
    var harness: NodeHarness!
    let group = DemoData.jazzLovers.topic("group")

    override func setUp() async throws {
        harness = try await NodeHarness()
        let directory = try XCTUnwrap(harness.node.access.directory as? InMemoryDirectory)
        for person in [DemoData.dave, DemoData.erin] {
            await directory.apply(.addMember(group: DemoData.jazzLovers, user: person))
        }
    }

    override func tearDown() async throws {
        try await harness.shutdown()
    }

    func testSwitchingFromAFriendToTheBlockerClosesTheChannel() async throws {
        try await assertSwitchToDave(from: harness.connect(as: DemoData.bob))
    }

    func testSwitchingFromServiceRoleToTheBlockerClosesTheChannel() async throws {
        try await assertSwitchToDave(from: harness.connect(as: nil, role: "service_role"))
    }

    /// `device` joined as someone who sees Erin's messages, then switches to Dave: it is told to join again, and
    /// as Dave it never gets what Erin writes.
    private func assertSwitchToDave(from device: TestConnection, file: StaticString = #filePath,
                                    line: UInt = #line) async throws {
        let erin = try await harness.connect(as: DemoData.erin)
        let bob = try await harness.connect(as: DemoData.bob)
        for client in [device, erin, bob] { try await client.assertJoins(group, file: file, line: line) }

        let dave = try await harness.userToken(DemoData.dave)
        await device.connection.updateAccessToken(dave)
        let system = device.events.first(file: file, line: line) { $0.topic == self.group && $0.event == "system" }
        XCTAssertEqual(system?.payload["message"]?.stringValue?.hasPrefix("IdentityChanged:"), true, file: file,
                       line: line)
        device.events.first(file: file, line: line) { $0.topic == self.group && $0.event == "phx_close" }
        try await say(erin, "from erin")
        try await device.assertJoins(group, options: JoinOptions(accessToken: dave), file: file, line: line)
        try await say(erin, "from erin, again")
        try await say(bob, "from bob")
        device.waitFor("message", on: group, "body", "from bob", file: file, line: line)
        XCTAssertEqual(device.values("message", on: group, "body"), ["from bob"],
                       "after the switch the device is Dave's: nothing of Erin's", file: file, line: line)
    }

    private func say(_ author: TestConnection, _ body: String) async throws {
        let reply = try await author.connection.request(topic: group, event: "broadcast", payload: .object([
            "type": .string("broadcast"), "event": .string("message"), "payload": object("body", body)]))
        XCTAssertTrue(reply.isOK, "\(reply)")
    }
}
