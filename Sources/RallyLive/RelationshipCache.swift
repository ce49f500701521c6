import Foundation
import NIOConcurrencyHelpers
import RallyDirectory
import RallyPrivacy

/// Every person's friendship rows as seen by the others (`LiveStore.relationships(towards:)`), cached for the
/// per-item filters of chat and activity. A friendship change drops both people's entries before any item that
/// follows it is filtered (changes are handled in order), so the cache never decides on old rows.
final class RelationshipCache: Sendable {
    private let store: any LiveStore
    private let capacity: Int
    private let entries = NIOLockedValueBox<[UUID: [UUID: Relationship]]>([:])

    init(store: any LiveStore, capacity: Int) {
        self.store = store
        self.capacity = capacity
    }

    /// How each other person stands towards `person` (absent: stranger).
    func towards(_ person: UUID) async throws -> [UUID: Relationship] {
        if let cached = entries.withLockedValue({ $0[person] }) { return cached }
        let loaded = try await store.relationships(towards: person)
        entries.withLockedValue { table in
            if table.count >= capacity { table.removeAll(keepingCapacity: true) }
            table[person] = loaded
        }
        return loaded
    }

    func invalidate(_ people: UUID...) {
        entries.withLockedValue { table in
            for person in people { table[person] = nil }
        }
    }

    func invalidateAll() {
        entries.withLockedValue { $0.removeAll() }
    }
}
