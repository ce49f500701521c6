import RallyProtocol

/// The entries other nodes tracked on a topic, merged into the shard's table (each node's own entries stay its
/// truth; a receiving node only mirrors them). Every diff returned concerns one owner, so it carries that owner's
/// audience (who may see them on this node).
extension PresenceTable {
    /// Tracks (or replaces) `owner`'s entry as another node reported it; `audience` is who may see them here.
    mutating func applyRemote(_ join: PresenceChange.Join, node: UInt64, audience: Audience?) -> PresenceDiff {
        let owner = PresenceOwner(node: node, id: join.owner)
        var diff = PresenceDiff(audience: audience)
        if let old = removeEntry(of: owner) { diff.leaves[old.key, default: []].append(old.entry.wireMeta) }
        insert(Entry(ownerID: owner, ownerUser: join.user, audience: audience, phxRef: join.ref, userMeta: join.wire,
                     wireMeta: join.wire), key: join.key)
        diff.joins[join.key, default: []].append(join.wire)
        return diff
    }

    /// Applies one node's change (leaves first, then joins): one diff per owner that changed.
    mutating func apply(_ change: PresenceChange, node: UInt64,
                        audience: (String?) -> Audience?) -> [PresenceDiff] {
        var diffs: [PresenceDiff] = []
        for owner in change.leaves {
            if let left = untrack(owner: PresenceOwner(node: node, id: owner)) { diffs.append(left) }
        }
        for join in change.joins { diffs.append(applyRemote(join, node: node, audience: audience(join.user))) }
        return diffs
    }

    /// Makes `node`'s entries exactly `snapshot`: leaves for what is gone or changed, joins for what is new or
    /// changed; one diff per owner that changed.
    mutating func replace(node: UInt64, with snapshot: [PresenceChange.Join],
                          audience: (String?) -> Audience?) -> [PresenceDiff] {
        let wanted = Dictionary(snapshot.map { ($0.owner, $0) }, uniquingKeysWith: { _, last in last })
        let present = entries(of: node)
        var change = PresenceChange()
        for (owner, current) in present {
            guard let kept = wanted[owner.id], kept.key == current.key, kept.ref == current.entry.phxRef else {
                change.leaves.append(owner.id)
                continue
            }
        }
        let presentIDs = Set(present.map(\.owner.id))
        for (owner, join) in wanted where !presentIDs.contains(owner) || change.leaves.contains(owner) {
            change.joins.append(join)
        }
        return apply(change, node: node, audience: audience)
    }

    /// Removes every entry of `node` (it went down or left): its leaves, one diff per owner.
    mutating func removeAll(of node: UInt64) -> [PresenceDiff] {
        entries(of: node).compactMap { owner, _ in untrack(owner: owner) }
    }

    /// This node's own entries, as another node needs them for its snapshot.
    var localJoins: [PresenceChange.Join] {
        entries(of: 0).map { owner, current in
            PresenceChange.Join(owner: owner.id, key: current.key, ref: current.entry.phxRef,
                                wire: current.entry.wireMeta, user: current.entry.ownerUser)
        }
    }

    private func entries(of node: UInt64) -> [(owner: PresenceOwner, current: (key: String, entry: Entry))] {
        var found: [(PresenceOwner, (String, Entry))] = []
        for (key, list) in entries {
            for entry in list where entry.ownerID.node == node { found.append((entry.ownerID, (key, entry))) }
        }
        return found
    }
}
