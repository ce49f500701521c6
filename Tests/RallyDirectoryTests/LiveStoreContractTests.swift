import RallyDirectory
import XCTest

/// The live-data contract on `InMemoryDirectory`.
final class InMemoryLiveStoreContractTests: XCTestCase {
    private func fixture() -> any DirectoryHarness { InMemoryHarness(seed: LiveFixture.seed) }

    func testCapacityCounts() async throws { try await LiveStoreContract.capacityCounts(fixture()) }
    func testEventsAndPlans() async throws { try await LiveStoreContract.eventsAndPlans(fixture()) }
    func testNotifications() async throws { try await LiveStoreContract.notifications(fixture()) }
    func testMessages() async throws { try await LiveStoreContract.messages(fixture()) }
    func testRelationshipsTowardsAUser() async throws {
        try await LiveStoreContract.relationshipsTowardsAUser(fixture())
    }

    /// A stored message is reported with its row inline, as the Postgres trigger reports a small one.
    func testStoredMessagesAreReportedInline() async throws {
        let harness = InMemoryHarness(seed: LiveFixture.seed)
        let recorder = try await harness.startRecording()
        let stored = try await harness.memory.storeMessage(NewMessage(group: ContractFixture.privateGroup,
                                                                      user: ContractFixture.v, body: "hello"))
        let received = await recorder.waitFor(count: 1)
        XCTAssertEqual(received, [.groupMessage(.insert, id: stored.id, group: stored.group, inline: stored)])
    }
}

/// The same contract on `PostgresLiveStore`, each test on a fresh migrated database of the real server.
final class PostgresLiveStoreContractTests: XCTestCase {
    private var harness: PostgresHarness?

    private func fixture() async throws -> PostgresHarness {
        let made = try await PostgresHarness.make(seed: LiveFixture.seed)
        harness = made
        return made
    }

    override func tearDown() async throws {
        try await harness?.tearDown()
        harness = nil
    }

    func testCapacityCounts() async throws { try await LiveStoreContract.capacityCounts(fixture()) }
    func testEventsAndPlans() async throws { try await LiveStoreContract.eventsAndPlans(fixture()) }
    func testNotifications() async throws { try await LiveStoreContract.notifications(fixture()) }
    func testMessages() async throws { try await LiveStoreContract.messages(fixture()) }
    func testRelationshipsTowardsAUser() async throws {
        try await LiveStoreContract.relationshipsTowardsAUser(fixture())
    }
}
