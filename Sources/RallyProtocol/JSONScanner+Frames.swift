// A Phoenix text frame parsed with its broadcast's user payload left as text (`CompactJSONText`).

/// Where a frame's user payload (`payload.payload`) is, found while the frame was parsed: its byte range in the
/// frame and whether that text is already in compact form. The tree holds `null` in its place.
struct UserPayloadPosition: Equatable {
    var range: Range<Int>
    var isCompact: Bool
}

extension JSONScanner {
    /// Parses one JSON text as `parseDocument` does (same rules, errors and nesting bound), except for the value of
    /// the first `payload` member of the channel payload — the first `payload` member of a top-level object (v1) or
    /// element 4 of a top-level array (v2), when that is an object: that value is only checked and located, and
    /// `null` stands in for it in the tree.
    mutating func parseFrameDocument() throws(JSONParseError) -> (JSON, UserPayloadPosition?) {
        skipWhitespace()
        var position: UserPayloadPosition?
        let value: JSON
        switch peek() {
        case ASCII.openBrace?: value = .object(try parseFrameObject(userPayload: &position))
        case ASCII.openBracket?: value = .array(try parseFrameArray(userPayload: &position))
        default: value = try parseValue()
        }
        skipWhitespace()
        guard index == bytes.count else { throw failure("unexpected data after the JSON value") }
        return (value, position)
    }

    /// The v1 frame object: its first `payload` member, when an object, is the channel payload.
    private mutating func parseFrameObject(
        userPayload: inout UserPayloadPosition?
    ) throws(JSONParseError) -> JSONObject {
        try parseObject(locating: .channelPayload, userPayload: &userPayload)
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
        return .object(try parseObject(locating: .userPayload, userPayload: &userPayload))
    }

    /// What the first `payload` member of an object is.
    private enum PayloadMember { case channelPayload, userPayload }

    /// An object as `parseObject` reads it, but for its first `payload` member: the channel payload (parsed by
    /// `parseChannelPayload`) or the user payload (only checked and located; `null` in the tree).
    private mutating func parseObject(locating member: PayloadMember,
                                      userPayload: inout UserPayloadPosition?) throws(JSONParseError) -> JSONObject {
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
                switch member {
                case .channelPayload: value = try parseChannelPayload(userPayload: &userPayload)
                case .userPayload:
                    let start = index
                    let isCompact = try skipValue()
                    userPayload = UserPayloadPosition(range: start..<index, isCompact: isCompact)
                    value = .null
                }
            } else {
                value = try parseValue()
            }
            fields.append(JSONObject.Field(key: key, value: value))
            skipWhitespace()
            if try endOfContainer(closing: ASCII.closeBrace, what: "object") { return JSONObject(fields) }
        }
    }
}
