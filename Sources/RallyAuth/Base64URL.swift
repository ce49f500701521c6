import Foundation

/// Unpadded base64url (RFC 7515 §2), strict on decode: only `A–Z a–z 0–9 - _`, no `=`, and never a length of
/// 4n+1. As Foundation's base64 decoder does, the unused low bits of a last partial group are ignored.
enum Base64URL {
    static func decode(_ text: Substring) -> [UInt8]? { decode(bytes: text.utf8) }

    static func decode(_ text: String) -> [UInt8]? { decode(bytes: text.utf8) }

    /// Decodes in one pass over the bytes (no intermediate standard-alphabet copy).
    static func decode<Bytes: Collection<UInt8>>(bytes utf8: Bytes) -> [UInt8]? {
        guard utf8.count % 4 != 1 else { return nil }
        var output = [UInt8]()
        output.reserveCapacity(utf8.count * 3 / 4)
        var accumulator: UInt32 = 0
        var pendingBits: UInt32 = 0
        for byte in utf8 {
            guard let value = sextet(byte) else { return nil }
            accumulator = (accumulator << 6) | UInt32(value)
            pendingBits += 6
            if pendingBits >= 8 {
                pendingBits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> pendingBits))
                accumulator &= (1 << pendingBits) - 1
            }
        }
        return output
    }

    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var text = Data(bytes).base64EncodedString()
        text = text.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        while text.hasSuffix("=") { text.removeLast() }
        return text
    }

    /// The 6-bit value of a base64url character; nil for any other byte.
    @inline(__always)
    private static func sextet(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return byte &- UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return byte &- UInt8(ascii: "a") &+ 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte &- UInt8(ascii: "0") &+ 52
        case UInt8(ascii: "-"): return 62
        case UInt8(ascii: "_"): return 63
        default: return nil
        }
    }
}
