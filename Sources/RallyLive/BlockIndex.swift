import Foundation
import NIOConcurrencyHelpers
import RallyPrivacy

/// Who each person is blocked with (either direction), kept for the people with a `group:` or `plan:` channel
/// open on this node, so that what they send there (broadcasts, presence) can skip the others across a block
/// without any I/O on the socket's loop. Read once at the join (through `RelationshipCache`) and kept current
/// by the friendship changes, which are handled in order.
final class BlockIndex: Sendable {
    /// One person's current blocks. Audiences of presence entries hold it and read it at every delivery, so a
    /// block made after the entry was tracked applies to its later diffs; it keeps its last value once released.
    final class Blocks: Sendable {
        private let people = NIOLockedValueBox<Set<UUID>>([])

        var current: Set<UUID> { people.withLockedValue { $0 } }

        func contains(_ person: UUID) -> Bool { people.withLockedValue { $0.contains(person) } }

        func replace(_ blocked: Set<UUID>) { people.withLockedValue { $0 = blocked } }
    }

    private struct Entry {
        var holders = 0
        var isLoaded = false
        let blocks = Blocks()
    }

    private let relationships: RelationshipCache
    private let table = NIOLockedValueBox<[UUID: Entry]>([:])
    /// Moves on every refresh: a first read that a friendship change overtook is read again, never kept.
    private let generation = NIOLockedValueBox<UInt64>(0)

    init(relationships: RelationshipCache) {
        self.relationships = relationships
    }

    /// A channel of `person` opens: their blocks are read if not known yet. Every call, thrown or not, is paired
    /// with one `release`.
    func retain(_ person: UUID) async throws {
        let blocks = table.withLockedValue { table -> Blocks? in
            table[person, default: Entry()].holders += 1
            return table[person]!.isLoaded ? nil : table[person]!.blocks
        }
        guard let blocks else { return }
        while true {
            let started = generation.withLockedValue { $0 }
            let loaded = try await load(person)
            let kept = generation.withLockedValue { current -> Bool in
                guard current == started else { return false }
                blocks.replace(loaded)
                return true
            }
            if kept { break }
        }
        table.withLockedValue { $0[person]?.isLoaded = true }
    }

    func release(_ person: UUID) {
        table.withLockedValue { table in
            guard var entry = table[person] else { return }
            entry.holders -= 1
            table[person] = entry.holders > 0 ? entry : nil
        }
    }

    /// The person's blocks while they hold a channel; nil otherwise.
    func blocks(of person: UUID) -> Blocks? {
        table.withLockedValue { $0[person]?.blocks }
    }

    /// A friendship row between some people changed (the cache already dropped them): read theirs again.
    /// Returns the pairs blocked now and not before (each once), whose shown presence must be taken back.
    @discardableResult
    func refresh(_ people: [UUID]) async throws -> [BlockedPair] {
        generation.withLockedValue { $0 += 1 }
        var added = Set<BlockedPair>()
        for person in people {
            guard let blocks = blocks(of: person) else { continue }
            let loaded = try await load(person)
            let before = generation.withLockedValue { _ in
                defer { blocks.replace(loaded) }
                return blocks.current
            }
            for other in loaded.subtracting(before) { added.insert(BlockedPair(person, other)) }
        }
        return Array(added)
    }

    /// After a lost change feed: everyone's blocks are read again.
    func refreshAll() async throws -> [BlockedPair] {
        try await refresh(table.withLockedValue { Array($0.keys) })
    }

    private func load(_ person: UUID) async throws -> Set<UUID> {
        let towards = try await relationships.towards(person)
        return Set(towards.compactMap { $0.value.isBlocked ? $0.key : nil })
    }
}

/// Two people blocked with each other, in a fixed order (so either side's refresh names the pair once).
struct BlockedPair: Hashable, Sendable {
    let first: UUID
    let second: UUID

    init(_ a: UUID, _ b: UUID) {
        (first, second) = a.uuidString < b.uuidString ? (a, b) : (b, a)
    }
}
