import Foundation

/// A JWT in JWS compact serialization (`header.payload.signature`), split and decoded but not verified.
struct CompactToken: Sendable {
    let header: JOSEHeader
    let claims: TokenClaims
    /// `base64url(header) "." base64url(payload)`: the bytes the signature covers.
    let signingInput: [UInt8]
    let signature: [UInt8]

    /// Splits and decodes `text`; nil when it is not a JWT (Supabase's `token_malformed`).
    /// The signature segment may be empty (an `alg: none` token parses; no key will accept it).
    init?(parsing text: String) {
        // One copy of the bytes, split at the byte `.` (not on `Character`s: grapheme breaking over a few hundred
        // bytes of base64url), each segment decoded from its slice.
        let bytes = Array(text.utf8)
        guard let firstDot = bytes.firstIndex(of: UInt8(ascii: ".")),
              let secondDot = bytes[(firstDot + 1)...].firstIndex(of: UInt8(ascii: ".")),
              !bytes[(secondDot + 1)...].contains(UInt8(ascii: ".")),
              firstDot > 0, secondDot > firstDot + 1,
              let headerBytes = Base64URL.decode(bytes: bytes[..<firstDot]),
              let payloadBytes = Base64URL.decode(bytes: bytes[(firstDot + 1)..<secondDot]),
              let signature = Base64URL.decode(bytes: bytes[(secondDot + 1)...]),
              let header = JOSEHeader.decode(headerBytes),
              let claims = TokenClaims.decode(payloadBytes)
        else { return nil }
        self.header = header
        self.claims = claims
        self.signature = signature
        self.signingInput = Array(bytes[..<secondDot])
    }

    /// Builds a signed token: `header` and `claims` as JSON, signed by `sign`.
    static func encode(
        header: some Encodable, claims: some Encodable, sign: ([UInt8]) throws -> [UInt8]
    ) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let signingInput = Base64URL.encode(try encoder.encode(header)) + "."
            + Base64URL.encode(try encoder.encode(claims))
        return signingInput + "." + Base64URL.encode(try sign(Array(signingInput.utf8)))
    }
}

/// The JOSE header fields that choose a key. Lenient: a field of the wrong JSON type reads as absent.
struct JOSEHeader: Codable, Sendable, Equatable {
    var alg: String?
    var kid: String?
    var typ: String?

    init(alg: String?, kid: String? = nil, typ: String? = "JWT") {
        self.alg = alg; self.kid = kid; self.typ = typ
    }

    /// Throws only when the header is not a JSON object.
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        alg = container.lenient(String.self, forKey: .alg)
        kid = container.lenient(String.self, forKey: .kid)
        typ = container.lenient(String.self, forKey: .typ)
    }
}

/// What the client sent, cleaned as Supabase's `clean_token` does.
enum TokenText {
    /// Percent-decodes `raw` (left as is when it holds an invalid escape), then removes every
    /// whitespace character anywhere in it (a JWT has none, so this covers trimming).
    /// Returns nil for a missing or empty token.
    static func clean(_ raw: String?) -> String? {
        guard let raw else { return nil }
        if isCompactJWTText(raw) { return raw }  // nothing to decode or remove: the common case, without a copy
        let decoded = raw.removingPercentEncoding ?? raw
        let cleaned = decoded.unicodeScalars.contains(where: \.properties.isWhitespace)
            ? String(decoded.unicodeScalars.filter { !$0.properties.isWhitespace })
            : decoded
        return cleaned.isEmpty ? nil : cleaned
    }

    /// Whether `text` is non-empty and holds only the characters of a compact JWT (base64url and `.`): no
    /// escape to decode and no whitespace to remove. A byte scan; the Unicode-aware path runs only otherwise.
    static func isCompactJWTText(_ text: String) -> Bool {
        var utf8 = text.utf8
        let scanned = utf8.withContiguousStorageIfAvailable { bytes in
            !bytes.isEmpty && bytes.allSatisfy(isCompactJWTByte)
        }
        if let scanned { return scanned }
        utf8 = text.utf8
        return !utf8.isEmpty && utf8.allSatisfy(isCompactJWTByte)
    }

    private static func isCompactJWTByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
            return true
        default:
            return false
        }
    }
}
