// Reading a token's header and claims. The plain case (what every issuer writes: an object with no escape
// sequence, `exp`/`nbf` without an exponent) is read with RallyProtocol's strict RFC 8259 parser; anything else
// goes through Foundation's `JSONDecoder` as it always did. Foundation's decoder is lenient where a strict parser
// is not (a trailing comma, a raw control character or a lone surrogate in a string, an out-of-range number read
// as an absent claim), so leaving every such input to it keeps each answer (claims, or `malformed`) unchanged.
import Foundation
import RallyProtocol

enum TokenJSON {
    /// The object `bytes` hold when they are plain JSON (strictly valid, no backslash anywhere); nil otherwise.
    static func plainObject(_ bytes: [UInt8]) -> JSONObject? {
        guard !bytes.contains(UInt8(ascii: "\\")), case .object(let object)? = try? JSON(parsing: bytes) else {
            return nil
        }
        return object
    }

    /// A string field as `JSONDecoder` reads it leniently (first of duplicate keys; wrong type: absent).
    static func string(_ value: JSON?) -> String? {
        if case .string(let text)? = value { return text }
        return nil
    }

    /// A number field as `JSONDecoder` reads it into a `Double`: `.some(nil)` when absent or not a number,
    /// nil when the plain reading cannot be sure to agree (an exponent: Foundation reads 1e-400 as absent).
    static func plainNumber(_ value: JSON?) -> Double?? {
        guard case .number(let text)? = value else { return .some(nil) }
        guard !text.utf8.contains(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) else { return nil }
        return .some(Double(text).flatMap { $0.isFinite ? $0 : nil })  // too many digits: absent, as Foundation
    }
}

extension JOSEHeader {
    /// The header in `bytes`; nil when they are not a JSON object (`malformed`).
    static func decode(_ bytes: [UInt8]) -> JOSEHeader? {
        if let object = TokenJSON.plainObject(bytes) {
            return JOSEHeader(alg: TokenJSON.string(object["alg"]), kid: TokenJSON.string(object["kid"]),
                              typ: TokenJSON.string(object["typ"]))
        }
        return try? JSONDecoder().decode(JOSEHeader.self, from: Data(bytes))
    }
}

extension TokenClaims {
    /// The claims in `bytes`; nil when they are not a JSON object (`malformed`).
    static func decode(_ bytes: [UInt8]) -> TokenClaims? {
        if let object = TokenJSON.plainObject(bytes), let claims = TokenClaims(plain: object) { return claims }
        return try? JSONDecoder().decode(TokenClaims.self, from: Data(bytes))
    }

    /// The claims of a plain object, read as `init(from:)` reads them; nil when a number needs Foundation.
    init?(plain object: JSONObject) {
        guard let expiration = TokenJSON.plainNumber(object["exp"]),
              let notBefore = TokenJSON.plainNumber(object["nbf"])
        else { return nil }
        let audience: [String]?
        switch object["aud"] {
        case .string(let text)?: audience = [text]
        case .array(let items)?: audience = Self.strings(items)
        default: audience = nil
        }
        self.init(expiration: expiration, role: TokenJSON.string(object["role"]),
                  subject: TokenJSON.string(object["sub"]).flatMap { $0.isEmpty ? nil : $0 },
                  notBefore: notBefore, audience: audience, issuer: TokenJSON.string(object["iss"]))
    }

    /// Every item as a string, or nil when one is not (as decoding `[String]` fails).
    private static func strings(_ items: [JSON]) -> [String]? {
        var strings: [String] = []
        strings.reserveCapacity(items.count)
        for item in items {
            guard case .string(let text) = item else { return nil }
            strings.append(text)
        }
        return strings
    }
}
