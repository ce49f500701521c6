import RallyProtocol

/// What one node changed in one topic's presence, as it travels on the bus: owners that left, and entries that
/// joined (a join replaces the owner's previous entry, as a second `track` does). Owner ids are the tracking
/// node's subscription ids; the receiver pairs them with the origin node.
struct PresenceChange: Sendable, Equatable {
    struct Join: Sendable, Equatable {
        let owner: UInt64
        let key: String
        let ref: String
        /// The meta as clients see it (`phx_ref` included).
        let wire: JSONObject
        /// The tracker's user id (the receiving node decides who may see them: blocks).
        var user: String? = nil
    }

    var joins: [Join] = []
    var leaves: [UInt64] = []

    var isEmpty: Bool { joins.isEmpty && leaves.isEmpty }

    /// `{"j": [{"o": owner, "k": key, "r": ref, "w": meta, "u": user?}], "l": [owner]}` (owners as decimal
    /// strings: JSON numbers lose precision past 2^53 in some parsers).
    var json: JSON {
        let joins = joins.map { join -> JSON in
            var object: JSONObject = ["o": .string(String(join.owner)), "k": .string(join.key),
                                      "r": .string(join.ref), "w": .object(join.wire)]
            if let user = join.user { object["u"] = .string(user) }
            return .object(object)
        }
        return .object(["j": .array(joins), "l": .array(leaves.map { .string(String($0)) })])
    }

    /// Parses what another node sent; nil for anything malformed (the whole change is then ignored).
    init?(json: JSON) {
        guard let joins = json["j"]?.arrayValue, let leaves = json["l"]?.arrayValue else { return nil }
        var parsed = PresenceChange()
        for join in joins {
            guard let owner = join["o"]?.stringValue.flatMap({ UInt64($0) }), let key = join["k"]?.stringValue,
                  let ref = join["r"]?.stringValue, let wire = join["w"]?.objectValue else { return nil }
            parsed.joins.append(Join(owner: owner, key: key, ref: ref, wire: wire, user: join["u"]?.stringValue))
        }
        for leave in leaves {
            guard let owner = leave.stringValue.flatMap({ UInt64($0) }) else { return nil }
            parsed.leaves.append(owner)
        }
        self = parsed
    }

    init(joins: [Join] = [], leaves: [UInt64] = []) {
        self.joins = joins
        self.leaves = leaves
    }
}

/// A remote presence change that arrived while the topic's presence was being fetched.
struct PresenceSyncDiff: Sendable {
    let origin: UInt64
    let sequence: UInt64
    let change: PresenceChange
}
