import Foundation
import NIOCore
import RallyClient
import RallyServer
import XCTest

/// Embedded mode stays on loopback, and mints demo tokens only with its own random secret unless told otherwise.
final class EmbeddedModeTests: XCTestCase {
    func testEmbeddedModeRefusesToListenBeyondLoopback() throws {
        for host in ["0.0.0.0", "192.168.1.10", "::", "example.com"] {
            var configuration = RallyConfiguration()
            configuration.server.host = host
            XCTAssertThrowsError(try configuration.validate(), host) { error in
                XCTAssertTrue("\(error)".contains("loopback"), "\(error)")
            }
            configuration.mode = .production
            configuration.jwtSecret = "production-secret-0123456789"
            XCTAssertNoThrow(try configuration.validate(), host)
        }
        for host in ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"] {
            var configuration = RallyConfiguration()
            configuration.server.host = host
            XCTAssertNoThrow(try configuration.validate(), host)
        }
    }

    func testAGivenSecretMintsNoDemoTokens() async throws {
        let harness = try await NodeHarness()  // embedded, with RALLY_JWT_SECRET
        XCTAssertNil(harness.node.demoTokens)
        let http = try await harness.http()
        let refused = try await http.request(method: .GET, path: "/demo/token").get()
        XCTAssertEqual(refused.status, 404)
        http.close()
        try await harness.shutdown()
    }

    func testDemoTokensWithAGivenSecretOnlyWhenAskedFor() async throws {
        var configuration = RallyConfiguration()
        try configuration.apply(environment: ["RALLY_DEMO_TOKENS": "true"])
        XCTAssertTrue(configuration.demoTokensWithGivenSecret)
        let harness = try await NodeHarness { $0.demoTokensWithGivenSecret = true }
        XCTAssertNotNil(harness.node.demoTokens)
        let http = try await harness.http()
        let minted = try await http.request(method: .GET, path: "/demo/token").get()
        XCTAssertEqual(minted.status, 200)
        http.close()
        try await harness.shutdown()
    }

    func testOwnRandomSecretMintsDemoTokens() async throws {
        let harness = try await NodeHarness { $0.jwtSecret = nil }
        let minted = try await XCTUnwrap(harness.node.demoTokens).token(role: "authenticated")
        XCTAssertNotNil(minted.userID)
        try await harness.shutdown()
    }

    /// Without PostgreSQL there is no change feed to serve `postgres_changes` from: the join says so.
    func testPostgresChangesWithoutADatabaseAreRefusedWithAReason() async throws {
        let harness = try await NodeHarness()
        let client = try await harness.connect(.v1)
        let reply = try await client.connection.join("realtime:room", options: JoinOptions(postgresChanges: [
            .object(["event": .string("*"), "schema": .string("public"), "table": .string("events")])]))
        XCTAssertEqual(reply.status, "error")
        XCTAssertEqual(reply.response["reason"]?.stringValue, "PostgresChangesUnsupported: Unable to subscribe to "
                       + "changes with given parameters: this node reads no PostgreSQL change feed "
                       + "(RALLY_DATABASE_URL)")
        let plain = try await client.connection.join("realtime:room2")
        XCTAssertTrue(plain.isOK)
        try await harness.shutdown()
    }
}
