/// One presence key and its metas (one meta per tracking socket), in the order they are listed.
public struct PresenceEntry: Sendable, Equatable {
    public var key: String
    /// Each meta already carries `phx_ref` (see `PresenceShapes.meta(_:phxRef:phxRefPrev:)`).
    public var metas: [JSONObject]
    public init(key: String, metas: [JSONObject]) { self.key = key; self.metas = metas }
}

/// Builds the presence payloads Phoenix.Presence sends.
///
/// - `presence_state`: `{"<key>": {"metas": [{"phx_ref": "…", …user fields…}, …]}, …}`
/// - `presence_diff`: `{"joins": {<key>: {"metas": […]}}, "leaves": {<key>: {"metas": […]}}}`
///
/// An update is one diff with the new meta (carrying `phx_ref_prev`) in `joins` and the old meta in
/// `leaves` under the same key.
public enum PresenceShapes {
    /// A meta as clients receive it: `phx_ref`, then `phx_ref_prev` when given, then the user's fields.
    /// User fields named `phx_ref` / `phx_ref_prev` are replaced by the server's values.
    public static func meta(_ userFields: JSONObject, phxRef: String, phxRefPrev: String? = nil) -> JSONObject {
        var fields = [JSONObject.Field(key: "phx_ref", value: .string(phxRef))]
        if let phxRefPrev { fields.append(JSONObject.Field(key: "phx_ref_prev", value: .string(phxRefPrev))) }
        fields.append(contentsOf: userFields.fields.filter { $0.key != "phx_ref" && $0.key != "phx_ref_prev" })
        return JSONObject(fields)
    }

    /// The `presence_state` payload. Entries sharing a key are merged, keeping first-seen key order.
    public static func state(_ entries: [PresenceEntry]) -> JSON {
        .object(presenceMap(entries))
    }

    /// The `presence_state` payload from a dictionary, keys sorted for a stable output.
    public static func state(_ metasByKey: [String: [JSONObject]]) -> JSON {
        state(sortedEntries(metasByKey))
    }

    /// The `presence_diff` payload; both `joins` and `leaves` are always present.
    public static func diff(joins: [PresenceEntry], leaves: [PresenceEntry]) -> JSON {
        .object(["joins": .object(presenceMap(joins)), "leaves": .object(presenceMap(leaves))])
    }

    /// The `presence_diff` payload from dictionaries, keys sorted for a stable output.
    public static func diff(joins: [String: [JSONObject]], leaves: [String: [JSONObject]]) -> JSON {
        diff(joins: sortedEntries(joins), leaves: sortedEntries(leaves))
    }

    /// The diff for one socket updating its tracked meta under `key`.
    ///
    /// - Parameters:
    ///   - newFields: the new user fields; sent in `joins` with `phx_ref: newRef, phx_ref_prev: oldRef`.
    ///   - oldMeta: the previous meta exactly as it was last sent (with its own `phx_ref`), sent in `leaves`.
    public static func updateDiff(key: String, newFields: JSONObject, newRef: String, oldMeta: JSONObject) -> JSON {
        let oldRef = oldMeta["phx_ref"]?.stringValue
        let joined = meta(newFields, phxRef: newRef, phxRefPrev: oldRef)
        return diff(
            joins: [PresenceEntry(key: key, metas: [joined])],
            leaves: [PresenceEntry(key: key, metas: [oldMeta])]
        )
    }

    // MARK: Helpers

    private static func presenceMap(_ entries: [PresenceEntry]) -> JSONObject {
        var order: [String] = []
        var metasByKey: [String: [JSON]] = [:]
        for entry in entries {
            if metasByKey[entry.key] == nil { order.append(entry.key) }
            metasByKey[entry.key, default: []].append(contentsOf: entry.metas.map(JSON.object))
        }
        return JSONObject(order.map { key in
            JSONObject.Field(key: key, value: .object(["metas": .array(metasByKey[key] ?? [])]))
        })
    }

    private static func sortedEntries(_ metasByKey: [String: [JSONObject]]) -> [PresenceEntry] {
        metasByKey.keys.sorted().map { PresenceEntry(key: $0, metas: metasByKey[$0] ?? []) }
    }
}
