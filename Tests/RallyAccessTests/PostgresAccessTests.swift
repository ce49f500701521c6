import Foundation
import PostgresNIO
import RallyAccess
import RallyDirectory
import RallyHubTestSupport
import RallyProtocol
import RallyTestSupport
import XCTest
@testable import RallyHub

/// The privacy rules in the hub over a real PostgreSQL (migrated, seeded with the demo data): the demo join
/// matrix, and a revocation that arrives through a real `NOTIFY rally_changes`.
final class PostgresAccessTests: XCTestCase {
    private var database: TestDatabase!
    private var harness: HubHarness!
    private var feedTask: Task<Void, Never>?

    override func setUp() async throws {
        database = try await AccessTestDatabase.create(seed: DemoData.seed)
        let directory = PostgresDirectory(users: database.client, logger: TestDatabase.logger)
        harness = try await HubHarness(authorizer: DirectoryAuthorizer(directory: directory))
    }

    override func tearDown() async throws {
        feedTask?.cancel()
        await feedTask?.value
        try await harness?.shutdown()
        try await database?.drop()
    }

    func testDemoJoinMatrixAgainstPostgres() async throws {
        try await DemoJoinMatrix.check(harness)
    }

    func testBlockingThroughNotifyClosesTheFriendsProfileWithinOneSecond() async throws {
        try await startFeed()
        let subtopic = "profile:\(DemoJoinMatrix.id(DemoData.alice))"
        let bob = try await harness.connect(subject: DemoJoinMatrix.id(DemoData.bob))
        XCTAssertEqual(bob.join("realtime:" + subtopic)?["status"], .string("ok"))
        try await database.client.query("""
            UPDATE friendships SET status = 'blocked', initiated_by = \(DemoData.alice)
            WHERE user_id = \(DemoData.alice) AND friend_id = \(DemoData.bob)
            """, logger: TestDatabase.logger)
        let system = bob.transport.waitForEvent("system", topic: "realtime:" + subtopic, timeout: 1)
        XCTAssertEqual(system?.payloadValue?["message"], .string(
            "Unauthorized: You no longer have permission to read from this Channel topic: \(subtopic)"))
        XCTAssertNotNil(bob.transport.waitForEvent("phx_close", topic: "realtime:" + subtopic, timeout: 1))
    }

    func testDirectoryFailureRefusesTheJoin() async throws {
        let subtopic = "group:\(DemoJoinMatrix.id(DemoData.rooftopCrew))"
        try await database.client.query("ALTER TABLE group_members RENAME TO group_members_gone",
                                        logger: TestDatabase.logger)
        let alice = try await harness.connect(subject: DemoJoinMatrix.id(DemoData.alice))
        XCTAssertEqual(alice.join("realtime:" + subtopic)?["status"], .string("error"), "fails closed")
    }

    /// Listens on `rally_changes` and feeds every change to a live revocation; returns once LISTEN is registered.
    private func startFeed() async throws {
        let feed = PostgresChangeFeed(configuration: try database.url.connectionConfiguration(),
                                      logger: TestDatabase.logger)
        let revocation = LiveRevocation(services: harness.services)
        let listening = AsyncStream<Void>.makeStream()
        feedTask = Task {
            await feed.run(onListening: { listening.continuation.yield() }, handle: { await revocation.handle($0) })
        }
        var iterator = listening.stream.makeAsyncIterator()
        _ = await iterator.next()
    }
}
