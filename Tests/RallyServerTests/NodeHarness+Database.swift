import Foundation
import RallyDirectory
import RallyServer
import RallyTestSupport
import XCTest

extension XCTestCase {
    /// Runs `body` against a node on a fresh migrated database holding `seed`, once the node's change feeds listen
    /// (live joins are refused before); the node is shut down and the database dropped whether `body` throws or not.
    func withDatabaseNode(seed: DirectorySeed, configure: (inout RallyConfiguration) -> Void = { _ in },
                          file: StaticString = #filePath, line: UInt = #line,
                          _ body: (TestDatabase, NodeHarness) async throws -> Void) async throws {
        let database = try await TestDatabase.migrated(seed: seed)
        let harness: NodeHarness
        do {
            harness = try await NodeHarness {
                $0.databaseURL = PostgresActivityMatrixTests.urlText(database.url)
                configure(&$0)
            }
        } catch {
            try? await database.drop()
            throw error
        }
        do {
            try await harness.waitUntilListening(file: file, line: line)
            try await body(database, harness)
        } catch {
            try? await harness.shutdown()
            try? await database.drop()
            throw error
        }
        try await harness.shutdown()
        try await database.drop()
    }
}
