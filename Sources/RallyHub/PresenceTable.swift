import RallyProtocol

/// One topic's presence: key → metas, each meta owned by one subscription. Pure value type: the shard that owns
/// the topic mutates it on its loop and fans out the diffs it returns. An entry may carry its owner's `Audience`
/// (who may see that person: not across a block): the state and the diffs go only where it admits.
struct PresenceTable: Sendable {
    struct Entry: Sendable {
        let ownerID: PresenceOwner
        /// The owner's user id (the token's `sub`).
        let ownerUser: String?
        let audience: Audience?
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
    mutating func track(owner: PresenceOwner, key: String, meta: JSONObject, ref: String, user: String? = nil,
                        audience: Audience? = nil) -> PresenceDiff? {
        var diff = PresenceDiff(audience: audience)
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
        let entry = Entry(ownerID: owner, ownerUser: user, audience: audience, phxRef: ref, userMeta: meta,
                          wireMeta: wire)
        insert(entry, key: key)
        diff.joins[key, default: []].append(wire)
        return diff
    }

    /// Removes whatever `owner` tracked. Returns nil when it had nothing.
    mutating func untrack(owner: PresenceOwner) -> PresenceDiff? {
        guard let old = removeEntry(of: owner) else { return nil }
        var diff = PresenceDiff(audience: old.entry.audience)
        diff.leaves[old.key] = [old.entry.wireMeta]
        return diff
    }

    /// `presence_state`: `{key: {"metas": [...]}}`, as `viewer` may see it (everything when nil).
    func stateJSON(for viewer: ChannelSubscription? = nil) -> JSON {
        guard let viewer else { return PresenceShapes.state(entries.mapValues { $0.map(\.wireMeta) }) }
        let visible = entries.compactMapValues { list -> [JSONObject]? in
            let metas = list.filter { $0.audience?.admits(viewer) ?? true }.map(\.wireMeta)
            return metas.isEmpty ? nil : metas
        }
        return PresenceShapes.state(visible)
    }

    /// A leave of every entry `matches` selects by owner user id, as one diff (nil when there is none); the
    /// entries stay (this is what a viewer who may no longer see them gets).
    func leaves(ofUsers matches: (String) -> Bool) -> PresenceDiff? {
        var diff = PresenceDiff()
        for (key, list) in entries {
            let metas = list.filter { $0.ownerUser.map(matches) ?? false }.map(\.wireMeta)
            if !metas.isEmpty { diff.leaves[key] = metas }
        }
        return diff.leaves.isEmpty ? nil : diff
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
}

/// A `presence_diff` payload: `{"joins": {key: {"metas": [...]}}, "leaves": {...}}`, and who may see it (the
/// audience of the one owner whose entries it changes).
struct PresenceDiff: Sendable {
    var audience: Audience?
    var joins: [String: [JSONObject]] = [:]
    var leaves: [String: [JSONObject]] = [:]

    func json() -> JSON {
        PresenceShapes.diff(joins: joins, leaves: leaves)
    }
}
