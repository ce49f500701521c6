import RallyDirectory
import XCTest

/// The contract on `InMemoryDirectory`.
final class InMemoryDirectoryContractTests: XCTestCase {
    private func fixture() -> any DirectoryHarness { InMemoryHarness(seed: ContractFixture.seed) }
    private func demo() -> any DirectoryHarness { InMemoryHarness(seed: DemoData.seed) }

    func testPrivacyLevels() async throws { try await DirectoryContract.privacyLevels(fixture().directory) }
    func testRelationships() async throws { try await DirectoryContract.relationships(fixture().directory) }
    func testGroups() async throws { try await DirectoryContract.groups(fixture().directory) }
    func testPlans() async throws { try await DirectoryContract.plans(fixture().directory) }
    func testEvents() async throws { try await DirectoryContract.events(fixture().directory) }
    func testFriends() async throws { try await DirectoryContract.friends(fixture().directory) }
    func testChangesAreReported() async throws { try await DirectoryContract.changesAreReported(fixture()) }
    func testDemoJoinDecisions() async throws { try await DirectoryContract.demoJoinDecisions(demo().directory) }
    func testDemoItemFiltering() async throws { try await DirectoryContract.demoItemFiltering(demo().directory) }
    func testMatrix() async throws {
        try await DirectoryContract.matrixDecisions(InMemoryHarness(seed: DirectoryContract.matrix.seed).directory)
    }
}

/// The same contract on `PostgresDirectory`, each test on a fresh migrated database of the real server.
final class PostgresDirectoryContractTests: XCTestCase {
    private var harness: PostgresHarness?

    private func fixture(_ seed: DirectorySeed = ContractFixture.seed) async throws -> PostgresHarness {
        let made = try await PostgresHarness.make(seed: seed)
        harness = made
        return made
    }

    override func tearDown() async throws {
        try await harness?.tearDown()
        harness = nil
    }

    func testPrivacyLevels() async throws { try await DirectoryContract.privacyLevels(fixture().directory) }
    func testRelationships() async throws { try await DirectoryContract.relationships(fixture().directory) }
    func testGroups() async throws { try await DirectoryContract.groups(fixture().directory) }
    func testPlans() async throws { try await DirectoryContract.plans(fixture().directory) }
    func testEvents() async throws { try await DirectoryContract.events(fixture().directory) }
    func testFriends() async throws { try await DirectoryContract.friends(fixture().directory) }
    func testChangesAreReported() async throws { try await DirectoryContract.changesAreReported(fixture()) }
    func testDemoJoinDecisions() async throws {
        try await DirectoryContract.demoJoinDecisions(fixture(DemoData.seed).directory)
    }
    func testDemoItemFiltering() async throws {
        try await DirectoryContract.demoItemFiltering(fixture(DemoData.seed).directory)
    }
    func testMatrix() async throws {
        try await DirectoryContract.matrixDecisions(fixture(DirectoryContract.matrix.seed).directory)
    }
}
