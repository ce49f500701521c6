import RallyProtocol

/// One topic's presence: key → metas, each meta owned by one subscription. Pure value type: the shard that owns
/// the topic mutates it on its loop and fans out the diffs it returns.
struct PresenceTable: Sendable {
    struct Entry: Sendable, Equatable {
        let ownerID: PresenceOwner
        let phxRef: String
        /// What the client tracked, without `phx_ref`.
        let userMeta: JSONObject
        /// What clients see: the user's fields plus `phx_ref` (and `phx_ref_prev` after an update).
        let wireMeta: JSONObject
    }

    private(set) var entries: [String: [Entry]] = [:]
    private var keyByOwner: [PresenceOwner: String] = [:]

    var isEmpty: Bool { entries.isEmpty }

    /// Tracks `meta` under `key` for `owner`. Returns nil when nothing changed (same key, same meta).
    mutating func track(owner: PresenceOwner, key: String, meta: JSONObject, ref: String) -> PresenceDiff? {
        var diff = PresenceDiff()
        var previousRef: String?
        if let old = removeEntry(of: owner) {
            if old.key == key && old.entry.userMeta == meta {
                insert(old.entry, key: key)
                return nil
            }
            previousRef = old.entry.phxRef
            diff.leaves[old.key, default: []].append(old.entry.wireMeta)
        }
        let wire = PresenceShapes.meta(meta, phxRef: ref, phxRefPrev: previousRef)
        let entry = Entry(ownerID: owner, phxRef: ref, userMeta: meta, wireMeta: wire)
        insert(entry, key: key)
        diff.joins[key, default: []].append(wire)
        return diff
    }

    /// Removes whatever `owner` tracked. Returns nil when it had nothing.
    mutating func untrack(owner: PresenceOwner) -> PresenceDiff? {
        guard let old = removeEntry(of: owner) else { return nil }
        var diff = PresenceDiff()
        diff.leaves[old.key] = [old.entry.wireMeta]
        return diff
    }

    /// `presence_state`: `{key: {"metas": [...]}}`.
    func stateJSON() -> JSON {
        PresenceShapes.state(entries.mapValues { $0.map(\.wireMeta) })
    }

    mutating func insert(_ entry: Entry, key: String) {
        entries[key, default: []].append(entry)
        keyByOwner[entry.ownerID] = key
    }

    mutating func removeEntry(of owner: PresenceOwner) -> (key: String, entry: Entry)? {
        guard let key = keyByOwner.removeValue(forKey: owner),
              var list = entries[key],
              let index = list.firstIndex(where: { $0.ownerID == owner }) else { return nil }
        let entry = list.remove(at: index)
        entries[key] = list.isEmpty ? nil : list
        return (key, entry)
    }
}

/// Who tracked a presence entry: a subscription of this node (`node` 0) or of another node on the bus. Subscription
/// ids are per process, so only the pair is unique across nodes.
struct PresenceOwner: Hashable, Sendable, ExpressibleByIntegerLiteral {
    let node: UInt64
    let id: UInt64

    init(node: UInt64 = 0, id: UInt64) {
        self.node = node
        self.id = id
    }

    init(integerLiteral id: UInt64) { self.init(id: id) }

    var isLocal: Bool { node == 0 }
}

/// A `presence_diff` payload: `{"joins": {key: {"metas": [...]}}, "leaves": {...}}`.
struct PresenceDiff: Sendable, Equatable {
    var joins: [String: [JSONObject]] = [:]
    var leaves: [String: [JSONObject]] = [:]

    func json() -> JSON {
        PresenceShapes.diff(joins: joins, leaves: leaves)
    }
}
