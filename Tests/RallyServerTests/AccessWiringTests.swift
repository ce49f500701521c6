import Foundation
import NIOCore
import RallyClient
import RallyDirectory
import RallyProtocol
import RallyServer
import XCTest

/// The node applies the privacy rules: the embedded demo directory, live revocation, database settings, /readyz.
final class AccessWiringTests: XCTestCase {
    func testEmbeddedNodeAppliesTheDemoRulesAndKeepsTheLobby() async throws {
        let harness = try await NodeHarness()
        let dave = try await connect(harness, as: DemoData.dave)
        let lobby = try await dave.connection.join("realtime:lobby")
        XCTAssertTrue(lobby.isOK, "\(lobby)")
        let group = "group:\(DemoData.rooftopCrew.uuidString.lowercased())"
        let refused = try await dave.connection.join("realtime:" + group)
        XCTAssertEqual(refused.response["reason"], .string(
            "Unauthorized: You do not have permissions to read from this Channel topic: \(group)"))
        try await harness.shutdown()
    }

    func testEmbeddedNodeRevokesAChannelWhenTheDirectoryChanges() async throws {
        let harness = try await NodeHarness()
        let bob = try await connect(harness, as: DemoData.bob)
        let group = "group:\(DemoData.rooftopCrew.uuidString.lowercased())"
        let joined = try await bob.connection.join("realtime:" + group)
        XCTAssertTrue(joined.isOK, "\(joined)")
        let directory = try XCTUnwrap(harness.node.access.directory as? InMemoryDirectory)
        await directory.apply(.removeMember(group: DemoData.rooftopCrew, user: DemoData.bob))
        let system = bob.events.first(timeout: 1) { $0.event == "system" && $0.topic == "realtime:" + group }
        XCTAssertEqual(system?.payload["message"], .string(
            "Unauthorized: You no longer have permission to read from this Channel topic: \(group)"))
        XCTAssertNotNil(bob.events.first(timeout: 1) { $0.event == "phx_close" && $0.topic == "realtime:" + group })
        try await harness.shutdown()
    }

    func testReadinessReportsAnUnreachableDatabase() async throws {
        let harness = try await NodeHarness { $0.databaseURL = "postgres://rally@127.0.0.1:1/none?sslmode=disable" }
        let http = try await harness.http()
        let ready = try await http.request(method: .GET, path: "/readyz").get()
        XCTAssertEqual(ready.status, 503)
        XCTAssertEqual(try JSON.parse(ready.body)["postgres"], .bool(false))
        http.close()
        try await harness.shutdown()
    }

    func testDatabaseSettings() throws {
        var configuration = RallyConfiguration()
        try configuration.apply(environment: ["RALLY_DATABASE_URL": "postgres://rally@127.0.0.1:5432/app"])
        XCTAssertEqual(configuration.databaseURL, "postgres://rally@127.0.0.1:5432/app")
        XCTAssertThrowsError(try configuration.apply(environment: ["RALLY_DATABASE_URL": "mysql://x@y/z"]))
        var eventsOnly = RallyConfiguration()
        eventsOnly.eventsDatabaseURL = "postgres://rally@127.0.0.1:5432/events"
        XCTAssertThrowsError(try eventsOnly.validate())
        XCTAssertEqual(EnvironmentSetting.all.filter { $0.name.contains("DATABASE_URL") }.map(\.name),
                       ["RALLY_DATABASE_URL", "RALLY_EVENTS_DATABASE_URL"])
    }

    private func connect(_ harness: NodeHarness, as user: UUID) async throws -> TestConnection {
        let token = try await harness.token(subject: user.uuidString.lowercased())
        let recorder = EventRecorder()
        let connection = try await RealtimeConnection.connect(
            to: harness.base, version: .v1, apiKey: token, inbound: .callback({ recorder.record($0) }),
            on: harness.clientGroup)
        return TestConnection(connection: connection, events: recorder)
    }
}
