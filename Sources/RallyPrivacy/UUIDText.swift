import Foundation

/// UUIDs read from text in one pass, without Foundation's `UUID(uuidString:)` (which goes through `sscanf`, about
/// 1 µs a call): user ids are read on every join, and for every open channel on every change that may revoke access.
public enum UUIDText {
    /// The UUID in `text` written as `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` with hex digits of either case (what
    /// `UUID(uuidString:)` accepts), else nil.
    public static func parse<S: StringProtocol>(_ text: S) -> UUID? {
        text.utf8.withContiguousStorageIfAvailable { parse(bytes: $0, lowercaseOnly: false) }
            ?? parse(bytes: text.utf8, lowercaseOnly: false)
    }

    /// The UUID written in `bytes` as 8-4-4-4-12 hex digits; with `lowercaseOnly`, only the canonical lowercase form.
    static func parse<Bytes: Collection>(bytes: Bytes, lowercaseOnly: Bool) -> UUID? where Bytes.Element == UInt8 {
        guard bytes.count == 36 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        var nibbles = 0
        for (offset, byte) in bytes.enumerated() {
            if offset == 8 || offset == 13 || offset == 18 || offset == 23 {
                guard byte == UInt8(ascii: "-") else { return nil }
                continue
            }
            guard let value = hexValue(byte, lowercaseOnly: lowercaseOnly) else { return nil }
            if nibbles < 16 { high = high << 4 | UInt64(value) } else { low = low << 4 | UInt64(value) }
            nibbles += 1
        }
        func byte(_ half: UInt64, _ index: Int) -> UInt8 { UInt8(truncatingIfNeeded: half >> (56 - 8 * index)) }
        return UUID(uuid: (byte(high, 0), byte(high, 1), byte(high, 2), byte(high, 3), byte(high, 4), byte(high, 5),
                           byte(high, 6), byte(high, 7), byte(low, 0), byte(low, 1), byte(low, 2), byte(low, 3),
                           byte(low, 4), byte(low, 5), byte(low, 6), byte(low, 7)))
    }

    private static func hexValue(_ byte: UInt8, lowercaseOnly: Bool) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F") where !lowercaseOnly: return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
