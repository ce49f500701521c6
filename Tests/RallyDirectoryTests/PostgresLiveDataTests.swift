import Foundation
import PostgresNIO
import RallyDirectory
import RallyTestSupport
import XCTest

/// What only the real PostgreSQL can show: chat ids in commit order, payload sizes, the migration on a database
/// that has it already.
final class PostgresLiveDataTests: XCTestCase {
    typealias F = ContractFixture
    var harness: PostgresHarness?

    func fixture() async throws -> PostgresHarness {
        let made = try await PostgresHarness.make(seed: LiveFixture.seed)
        harness = made
        return made
    }

    override func tearDown() async throws {
        try await harness?.tearDown()
        harness = nil
    }

    /// Several writers at once: the `.groupMessage` changes arrive in id order, one for every message.
    func testConcurrentWritersAreNotifiedInIDOrder() async throws {
        let harness = try await fixture()
        let recorder = try await harness.startRecording()
        let live = harness.live
        let stored = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for writer in 0..<4 {
                group.addTask {
                    var ids: [Int64] = []
                    for n in 0..<10 {
                        let message = NewMessage(group: F.privateGroup, user: F.v, body: "writer \(writer) #\(n)")
                        ids.append(try await live.storeMessage(message).id)
                    }
                    return ids
                }
            }
            return try await group.reduce(into: [Int64]()) { $0 += $1 }
        }
        let received = await recorder.waitUntil { Self.messageIDs($0).count >= 40 }
        let arrived = Self.messageIDs(received)
        XCTAssertEqual(arrived.count, 40)
        XCTAssertEqual(arrived, arrived.sorted(), "notified in id order")
        XCTAssertEqual(Set(arrived), Set(stored))
    }

    /// A writer that starts while an earlier one has not committed waits for it (the advisory lock), so its
    /// message gets the higher id and is notified second. Without the lock it would commit, and notify, first.
    func testAWriterWaitsForAnUncommittedEarlierOne() async throws {
        let harness = try await fixture()
        let recorder = try await harness.startRecording()
        let client = harness.database.client, live = harness.live
        let done = Flag()
        let (firstID, second) = try await client.withTransaction(logger: TestDatabase.logger) { connection in
            let firstID = try await connection.query("""
                INSERT INTO group_messages (group_id, user_id, body) VALUES (\(F.privateGroup), \(F.v), 'first')
                RETURNING id
                """, logger: TestDatabase.logger).collect().first?.decode(Int64.self) ?? -1
            let second = Task {
                defer { done.set() }
                return try await live.storeMessage(NewMessage(group: F.privateGroup, user: F.friend, body: "second"))
            }
            try await Self.waitUntilWaitingOnAdvisoryLock(client, orDone: done)
            return (firstID, second)
        }
        let secondID = try await second.value.id
        XCTAssertGreaterThan(secondID, firstID)
        let received = await recorder.waitUntil { Self.messageIDs($0).count >= 2 }
        XCTAssertEqual(Self.messageIDs(received), [firstID, secondID], "notified in commit order")
    }

    static func messageIDs(_ changes: [DirectoryChange]) -> [Int64] {
        changes.compactMap { change in
            guard case .groupMessage(.insert, let id, _, _, _) = change else { return nil }
            return id
        }
    }

    /// Polls `pg_locks` (a condition with a deadline) until a session waits on an advisory lock or `done` is set.
    static func waitUntilWaitingOnAdvisoryLock(_ client: PostgresClient, orDone done: Flag) async throws {
        _ = try await Polling.until(timeout: .seconds(5)) {
            if done.isSet { return true }
            let waiting = try await client.query(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
                logger: TestDatabase.logger).collect().first?.decode(Int64.self) ?? 0
            return waiting > 0
        }
    }
}

/// A flag set once, read from any task.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    var isSet: Bool { lock.withLock { value } }

    func set() { lock.withLock { value = true } }
}
