import Foundation
import Logging
import PostgresNIO
import RallyDirectory
import RallyPrivacy

/// One implementation under the contract: the directory, a way to change its rows, and its change feed.
protocol DirectoryHarness: Sendable {
    var directory: any Directory { get }
    /// The live-data rows of the same database.
    var live: any LiveStore { get }
    /// Performs a mutation as the product would (in memory: `apply`; Postgres: SQL).
    func apply(_ mutation: DirectoryMutation) async throws
    /// Starts recording changes; returns once nothing applied afterwards can be missed.
    func startRecording() async throws -> ChangeRecorder
    func tearDown() async throws
}

struct InMemoryHarness: DirectoryHarness {
    let memory: InMemoryDirectory
    var directory: any Directory { memory }
    var live: any LiveStore { memory }

    init(seed: DirectorySeed) {
        memory = InMemoryDirectory(seed: seed)
    }

    func apply(_ mutation: DirectoryMutation) async throws {
        await memory.apply(mutation)
    }

    func startRecording() async throws -> ChangeRecorder {
        let recorder = ChangeRecorder()
        let stream = await memory.changes()
        Task {
            for await change in stream { await recorder.record(change) }
        }
        return recorder
    }

    func tearDown() async throws {}
}
