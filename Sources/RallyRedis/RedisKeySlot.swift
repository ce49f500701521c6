/// Redis Cluster's key → slot mapping: CRC16 (XMODEM: polynomial 0x1021, initial 0) of the key, or of its
/// hash tag (the bytes between the first `{` and the next `}`, if non-empty), modulo 16384.
public enum RedisKeySlot {
    public static let count = 16384

    public static func slot(of key: String) -> Int {
        slot(of: Array(key.utf8))
    }

    public static func slot<Bytes: Collection>(of key: Bytes) -> Int where Bytes.Element == UInt8 {
        Int(crc16(hashedPart(of: Array(key))) % UInt16(count))
    }

    /// The part of the key that is hashed: its hash tag if it has a non-empty one, else all of it.
    static func hashedPart(of key: [UInt8]) -> ArraySlice<UInt8> {
        guard let open = key.firstIndex(of: UInt8(ascii: "{")),
              let close = key[(open + 1)...].firstIndex(of: UInt8(ascii: "}")),
              close > open + 1 else { return key[...] }
        return key[(open + 1)..<close]
    }

    /// CRC16-XMODEM, bit by bit (keys are short; no table needed).
    public static func crc16<Bytes: Sequence>(_ bytes: Bytes) -> UInt16 where Bytes.Element == UInt8 {
        var crc: UInt16 = 0
        for byte in bytes {
            crc ^= UInt16(byte) << 8
            for _ in 0..<8 {
                crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1
            }
        }
        return crc
    }
}
