import Foundation
import NIOHTTP1
import RallyClient
import RallyProtocol
import RallyServer
import RallyTestSupport
import XCTest

/// The dashboard's view of PostgreSQL and Redis: down when they cannot be reached, up with the real services.
final class AdminDependenciesTests: XCTestCase {
    static let adminToken = "admin-secret-for-tests-0123"

    /// Samples until `done` holds or 10 s pass; returns the last snapshot.
    private func stats(_ harness: NodeHarness, until done: (JSON) -> Bool) async throws -> JSON {
        let http = try await harness.http()
        defer { http.close() }
        var headers = HTTPHeaders()
        headers.add(name: "authorization", value: "Bearer \(Self.adminToken)")
        return try await Polling.value({
            try JSON.parse(try await http.request(method: .GET, path: "/admin/api/stats", headers: headers).get().body)
        }, until: done)
    }

    func testUnreachableDatabaseAndBusShowAsDown() async throws {
        let harness = try await NodeHarness {
            $0.adminToken = Self.adminToken
            $0.databaseURL = "postgres://rally@127.0.0.1:1/none?sslmode=disable"
            $0.bus.redisURL = "redis://127.0.0.1:1"
        }
        let snapshot = try await stats(harness) { $0["database"]?["ready"] == .bool(false) }
        XCTAssertEqual(snapshot["database"]?["kind"], .string("postgres"))
        XCTAssertEqual(snapshot["database"]?["ready"], .bool(false))
        XCTAssertEqual(snapshot["bus"]?["configured"], .bool(true))
        XCTAssertEqual(snapshot["bus"]?["kind"], .string("redis"))
        XCTAssertEqual(snapshot["bus"]?["up"], .bool(false))
        XCTAssertNotEqual(snapshot["bus"]?["down_for_s"], .null)
        try await harness.shutdown()
    }

    func testLiveDatabaseAndBusShowAsUp() async throws {
        _ = try TestRedis.url()  // skips, or fails saying how to start the services, when they are not there
        let redisURL = try XCTUnwrap(ProcessInfo.processInfo.environment[TestRedis.urlVariable])
        let database = try await TestDatabase.migrated()
        let harness = try await NodeHarness {
            $0.adminToken = Self.adminToken
            $0.databaseURL = PostgresActivityMatrixTests.urlText(database.url)
            $0.bus.redisURL = redisURL
        }
        let snapshot = try await stats(harness) { snapshot in
            snapshot["database"]?["ready"] == .bool(true) && snapshot["database"]?["listening"] == .bool(true)
                && snapshot["bus"]?["up"] == .bool(true)
        }
        XCTAssertEqual(snapshot["database"]?["ready"], .bool(true))
        XCTAssertEqual(snapshot["database"]?["listening"], .bool(true))
        XCTAssertEqual(snapshot["bus"]?["up"], .bool(true))
        XCTAssertEqual(snapshot["bus"]?["ready"], .bool(true))
        XCTAssertEqual(snapshot["bus"]?["down_for_s"], .null)
        try await harness.shutdown()
        try await database.drop()
    }
}
