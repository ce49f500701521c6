import Foundation
import NIOConcurrencyHelpers
import RallyDirectory
import RallyPrivacy

/// Every person's friendship rows as seen by the others (`LiveStore.relationships(towards:)`), cached for the
/// per-item filters of chat and activity. A friendship change drops both people's entries before any item that
/// follows it is filtered (changes are handled in order), so the cache never decides on old rows; a read that was
/// under way when an invalidation came is used once but not kept (the generation moved on).
final class RelationshipCache: Sendable {
    private let store: any LiveStore
    private let capacity: Int
    private struct Table {
        var entries: [UUID: [UUID: Relationship]] = [:]
        var generation: UInt64 = 0
    }

    private let table = NIOLockedValueBox(Table())

    init(store: any LiveStore, capacity: Int) {
        self.store = store
        self.capacity = capacity
    }

    /// How each other person stands towards `person` (absent: stranger).
    func towards(_ person: UUID) async throws -> [UUID: Relationship] {
        let (cached, generation) = table.withLockedValue { ($0.entries[person], $0.generation) }
        if let cached { return cached }
        let loaded = try await store.relationships(towards: person)
        table.withLockedValue { table in
            guard table.generation == generation else { return }
            if table.entries.count >= capacity { table.entries.removeAll(keepingCapacity: true) }
            table.entries[person] = loaded
        }
        return loaded
    }

    func invalidate(_ people: UUID...) {
        table.withLockedValue { table in
            table.generation += 1
            for person in people { table.entries[person] = nil }
        }
    }

    func invalidateAll() {
        table.withLockedValue { table in
            table.generation += 1
            table.entries.removeAll()
        }
    }
}
