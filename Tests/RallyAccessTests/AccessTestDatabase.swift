import RallyDirectory
import RallyTestSupport

/// A fresh, migrated and seeded database for the access tests (see `TestDatabase`).
enum AccessTestDatabase {
    static func create(seed: DirectorySeed) async throws -> TestDatabase {
        try await TestDatabase.migrated(seed: seed)
    }
}
