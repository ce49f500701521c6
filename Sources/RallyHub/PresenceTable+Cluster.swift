import RallyProtocol

/// The entries other nodes tracked on a topic, merged into the shard's table (each node's own entries stay its
/// truth; a receiving node only mirrors them).
extension PresenceTable {
    /// Tracks (or replaces) `owner`'s entry as another node reported it.
    mutating func applyRemote(_ join: PresenceChange.Join, node: UInt64) -> PresenceDiff {
        let owner = PresenceOwner(node: node, id: join.owner)
        var diff = PresenceDiff()
        if let old = removeEntry(of: owner) { diff.leaves[old.key, default: []].append(old.entry.wireMeta) }
        insert(Entry(ownerID: owner, phxRef: join.ref, userMeta: join.wire, wireMeta: join.wire), key: join.key)
        diff.joins[join.key, default: []].append(join.wire)
        return diff
    }

    /// Applies one node's change (leaves first, then joins); nil when nothing changed.
    mutating func apply(_ change: PresenceChange, node: UInt64) -> PresenceDiff? {
        var diff = PresenceDiff()
        for owner in change.leaves {
            if let left = untrack(owner: PresenceOwner(node: node, id: owner)) { diff.merge(left) }
        }
        for join in change.joins { diff.merge(applyRemote(join, node: node)) }
        return diff.isEmpty ? nil : diff
    }

    /// Makes `node`'s entries exactly `entries` (a snapshot): leaves for what is gone or changed, joins for what
    /// is new or changed; nil when the mirror already matched.
    mutating func replace(node: UInt64, with snapshot: [PresenceChange.Join]) -> PresenceDiff? {
        let wanted = Dictionary(snapshot.map { ($0.owner, $0) }, uniquingKeysWith: { _, last in last })
        var change = PresenceChange()
        for (owner, current) in entries(of: node) {
            guard let kept = wanted[owner.id], kept.key == current.key, kept.ref == current.entry.phxRef else {
                change.leaves.append(owner.id)
                continue
            }
        }
        let present = Set(entries(of: node).map(\.owner.id))
        for (owner, join) in wanted {
            if !present.contains(owner) || change.leaves.contains(owner) { change.joins.append(join) }
        }
        return apply(change, node: node)
    }

    /// Removes every entry of `node` (it went down or left): the leaves, nil when it had none here.
    mutating func removeAll(of node: UInt64) -> PresenceDiff? {
        var diff = PresenceDiff()
        for (owner, _) in entries(of: node) {
            if let left = untrack(owner: owner) { diff.merge(left) }
        }
        return diff.isEmpty ? nil : diff
    }

    /// This node's own entries, as another node needs them for its snapshot.
    var localJoins: [PresenceChange.Join] {
        entries(of: 0).map { owner, current in
            PresenceChange.Join(owner: owner.id, key: current.key, ref: current.entry.phxRef,
                                wire: current.entry.wireMeta)
        }
    }

    /// The nodes (other than this one) with entries here.
    var remoteNodes: Set<UInt64> {
        Set(entries.values.lazy.flatMap { $0 }.map(\.ownerID.node).filter { $0 != 0 })
    }

    private func entries(of node: UInt64) -> [(owner: PresenceOwner, current: (key: String, entry: Entry))] {
        var found: [(PresenceOwner, (String, Entry))] = []
        for (key, list) in entries {
            for entry in list where entry.ownerID.node == node { found.append((entry.ownerID, (key, entry))) }
        }
        return found
    }
}

extension PresenceDiff {
    var isEmpty: Bool { joins.isEmpty && leaves.isEmpty }

    mutating func merge(_ other: PresenceDiff) {
        for (key, metas) in other.leaves { leaves[key, default: []].append(contentsOf: metas) }
        for (key, metas) in other.joins { joins[key, default: []].append(contentsOf: metas) }
    }
}
