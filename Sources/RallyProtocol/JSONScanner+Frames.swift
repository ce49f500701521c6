// A Phoenix text frame parsed with its broadcast's user payload left as text (`CompactJSONText`).

/// Where a frame's user payload (`payload.payload`) is, found while the frame was parsed: its byte range in the
/// frame and whether that text is already in compact form. The tree holds `null` in its place.
struct UserPayloadPosition: Equatable {
    var range: Range<Int>
    var isCompact: Bool
}

/// The members of a v1 frame object that the decoder reads, each the first of its name (as `JSONObject`'s lookup
/// finds it); nil when absent. Any other member was checked and dropped.
struct V1FrameMembers {
    var topic: JSON?
    var event: JSON?
    var payload: JSON?
    var ref: JSON?
    var joinRef: JSON?

    /// Keeps `value` when `key` is one of the five and not seen yet; false when it is not kept (the value is unused).
    mutating func keep(_ key: String, _ value: () throws(JSONParseError) -> JSON) throws(JSONParseError) -> Bool {
        switch key {
        case "topic" where topic == nil: topic = try value()
        case "event" where event == nil: event = try value()
        case "payload" where payload == nil: payload = try value()
        case "ref" where ref == nil: ref = try value()
        case "join_ref" where joinRef == nil: joinRef = try value()
        default: return false
        }
        return true
    }
}

/// A frame as `parseFrameDocument` read it: the members of a top-level object (v1), or any other value as a tree.
enum FrameDocument {
    case members(V1FrameMembers)
    case tree(JSON)
}

extension JSONScanner {
    /// Parses one JSON text as `parseDocument` does (same rules, errors and nesting bound), except for the value of
    /// the first `payload` member of the channel payload — the first `payload` member of a top-level object (v1) or
    /// element 4 of a top-level array (v2), when that is an object: that value is only checked and located, and
    /// `null` stands in for it in the tree. A top-level object is not built: its members the decoder reads are kept.
    mutating func parseFrameDocument() throws(JSONParseError) -> (FrameDocument, UserPayloadPosition?) {
        skipWhitespace()
        var position: UserPayloadPosition?
        let document: FrameDocument
        switch peek() {
        case ASCII.openBrace?: document = .members(try parseFrameObject(userPayload: &position))
        case ASCII.openBracket?: document = .tree(.array(try parseFrameArray(userPayload: &position)))
        default: document = .tree(try parseValue())
        }
        skipWhitespace()
        guard index == bytes.count else { throw failure("unexpected data after the JSON value") }
        return (document, position)
    }

    /// The v1 frame object: its first `payload` member, when an object, is the channel payload. Members other than
    /// the first `topic`, `event`, `payload`, `ref` and `join_ref` are only checked.
    private mutating func parseFrameObject(
        userPayload: inout UserPayloadPosition?
    ) throws(JSONParseError) -> V1FrameMembers {
        try enterContainer()
        var members = V1FrameMembers()
        skipWhitespace()
        if peek() == ASCII.closeBrace {
            index += 1
            depth -= 1
            return members
        }
        while true {
            let key = try parseMemberKey()
            let kept = try members.keep(key) { () throws(JSONParseError) in
                key == "payload" ? try parseChannelPayload(userPayload: &userPayload) : try parseValue()
            }
            if !kept { _ = try skipValue() }
            skipWhitespace()
            if try endOfContainer(closing: ASCII.closeBrace, what: "object") { return members }
        }
    }

    /// The v2 frame array: element 4, when an object, is the channel payload.
    private mutating func parseFrameArray(userPayload: inout UserPayloadPosition?) throws(JSONParseError) -> [JSON] {
        try enterContainer()
        var elements: [JSON] = []
        skipWhitespace()
        if peek() == ASCII.closeBracket {
            index += 1
            depth -= 1
            return elements
        }
        elements.reserveCapacity(Self.initialContainerCapacity)
        while true {
            skipWhitespace()
            if elements.count == 4 {
                elements.append(try parseChannelPayload(userPayload: &userPayload))
            } else {
                elements.append(try parseValue())
            }
            skipWhitespace()
            if try endOfContainer(closing: ASCII.closeBracket, what: "array") { return elements }
        }
    }

    /// The channel payload (`{"type":…,"event":…,"payload":…}`): an object's first `payload` member is located,
    /// not built; any other value is parsed as usual.
    private mutating func parseChannelPayload(userPayload: inout UserPayloadPosition?) throws(JSONParseError) -> JSON {
        guard peek() == ASCII.openBrace else { return try parseValue() }
        return .object(try parseChannelPayloadObject(userPayload: &userPayload))
    }

    /// The channel payload object as `parseObject` reads it, but for its first `payload` member (the user payload):
    /// only checked and located; `null` in the tree.
    private mutating func parseChannelPayloadObject(
        userPayload: inout UserPayloadPosition?
    ) throws(JSONParseError) -> JSONObject {
        try enterContainer()
        var fields: [JSONObject.Field] = []
        skipWhitespace()
        if peek() == ASCII.closeBrace {
            index += 1
            depth -= 1
            return JSONObject(fields)
        }
        fields.reserveCapacity(Self.initialContainerCapacity)
        var located = false
        while true {
            let key = try parseMemberKey()
            let value: JSON
            if !located, key == "payload" {
                located = true
                let start = index
                let isCompact = try skipValue()
                userPayload = UserPayloadPosition(range: start..<index, isCompact: isCompact)
                value = .null
            } else {
                value = try parseValue()
            }
            fields.append(JSONObject.Field(key: key, value: value))
            skipWhitespace()
            if try endOfContainer(closing: ASCII.closeBrace, what: "object") { return JSONObject(fields) }
        }
    }
}
