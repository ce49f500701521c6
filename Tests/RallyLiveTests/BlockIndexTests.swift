import Foundation
import RallyDirectory
import RallyPrivacy
import XCTest
@testable import RallyLive

/// A member's blocks are read at the first join; a friendship change that overtakes that read wins over it.
final class BlockIndexTests: XCTestCase {
    let sender = UUID(), friend = UUID()

    func testABlockMadeDuringTheFirstReadIsNotLost() async throws {
        let sender = self.sender, friend = self.friend   // UUIDs, so the task below does not capture the test case
        let directory = InMemoryDirectory(seed: DirectorySeed(
            users: [sender, friend].map { .init(id: $0, name: "p", privacy: .public) },
            friendships: [.init(user: sender, friend: friend, status: .accepted)]))
        let store = FirstReadHeld(base: directory)
        let cache = RelationshipCache(store: store, capacity: 10)
        let index = BlockIndex(relationships: cache)
        let retained = Task { try await index.retain(sender) }
        await store.firstReadStarted()
        await directory.apply(.setFriendship(.init(user: sender, friend: friend, status: .blocked,
                                                   initiatedBy: sender)))
        cache.invalidate(sender, friend)
        try await index.refresh([sender, friend])
        await store.releaseFirstRead()
        try await retained.value
        XCTAssertEqual(index.blocks(of: sender)?.current, [friend], "the older first read was read again")
    }
}

/// The directory, except that the first `relationships` read takes its rows at once but answers only when the
/// test releases it (a slow read that a change overtakes).
actor FirstReadHeld: LiveStore {
    let base: InMemoryDirectory
    private var reads = 0
    private var started: CheckedContinuation<Void, Never>?
    private var hasStarted = false
    private var release: CheckedContinuation<Void, Never>?
    private var isReleased = false

    init(base: InMemoryDirectory) { self.base = base }

    func firstReadStarted() async {
        if hasStarted { return }
        await withCheckedContinuation { started = $0 }
    }

    func releaseFirstRead() {
        isReleased = true
        release?.resume()
    }

    func relationships(towards user: UUID) async throws -> [UUID: Relationship] {
        reads += 1
        let rows = try await base.relationships(towards: user)
        guard reads == 1 else { return rows }
        hasStarted = true
        started?.resume()
        if !isReleased { await withCheckedContinuation { release = $0 } }
        return rows
    }

    func capacity(of event: UUID) async throws -> CapacityCounts? { try await base.capacity(of: event) }
    func eventDetails(_ event: UUID) async throws -> EventDetails? { try await base.eventDetails(event) }
    func plan(_ plan: UUID) async throws -> PlanRecord? { try await base.plan(plan) }
    func notification(_ id: UUID) async throws -> NotificationRecord? { try await base.notification(id) }
    func unreadNotifications(of user: UUID, limit: Int) async throws -> [NotificationRecord] {
        try await base.unreadNotifications(of: user, limit: limit)
    }
    func storeMessage(_ message: NewMessage) async throws -> StoredMessage { try await base.storeMessage(message) }
    func message(_ id: Int64) async throws -> StoredMessage? { try await base.message(id) }
    func messages(group: UUID, after afterID: Int64, limit: Int) async throws -> [StoredMessage] {
        try await base.messages(group: group, after: afterID, limit: limit)
    }
    func messages(group: UUID, since: Date, limit: Int) async throws -> [StoredMessage] {
        try await base.messages(group: group, since: since, limit: limit)
    }
    func latestMessageID(group: UUID) async throws -> Int64 { try await base.latestMessageID(group: group) }
}
