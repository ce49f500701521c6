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
    private mutating func parseFrameObject(userPayload: inout UserPayloadPosition?) throws(JSONParseError) -> JSONObject {
        var sawChannelPayload = false
        return try parseObjectFields { scanner, key throws(JSONParseError) in
            guard key == "payload", !sawChannelPayload else { return try scanner.parseValue() }
            sawChannelPayload = true
            return try scanner.parseChannelPayload(userPayload: &userPayload)
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
        var located = false
        return .object(try parseObjectFields { scanner, key throws(JSONParseError) in
            guard key == "payload", !located else { return try scanner.parseValue() }
            located = true
            let start = scanner.index
            let isCompact = try scanner.skipValue()
            userPayload = UserPayloadPosition(range: start..<scanner.index, isCompact: isCompact)
            return .null
        })
    }
}

extension JSONScanner {
    /// An object as `parseObject` reads it, each member's value read by `valueOf` (given the member's key).
    fileprivate mutating func parseObjectFields(
        _ valueOf: (inout JSONScanner, String) throws(JSONParseError) -> JSON
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
        while true {
            skipWhitespace()
            guard peek() == ASCII.quote else { throw failure("expected a string key in object") }
            let key = try parseString()
            skipWhitespace()
            try expect(ASCII.colon, "expected ':' after object key")
            skipWhitespace()
            fields.append(JSONObject.Field(key: key, value: try valueOf(&self, key)))
            skipWhitespace()
            if try endOfContainer(closing: ASCII.closeBrace, what: "object") { return JSONObject(fields) }
        }
    }
}
