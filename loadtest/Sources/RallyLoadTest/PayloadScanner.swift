import Foundation
import NIOCore
import RallyProtocol

/// What the generator writes into every payload: `{"seq":n,"t":<send time ns>[,"from":m]}`.
struct Stamp: Equatable, Sendable {
    var seq: Int
    var sentAt: UInt64
    var from: Int?

    /// The payload JSON text for this stamp, padded with a `"pad"` string up to `size` bytes when asked.
    func json(padTo size: Int = 0) -> String {
        var text = "{\"seq\":\(seq),\"t\":\(sentAt)"
        if let from { text += ",\"from\":\(from)" }
        let padding = size - text.count - 10
        if padding > 0 { text += ",\"pad\":\"" + String(repeating: "x", count: padding) + "\"" }
        return text + "}"
    }

    /// The same payload as a JSON value (for Rally broadcasts).
    func jsonValue(padTo size: Int = 0) -> JSON {
        var object: JSONObject = ["seq": .int(seq), "t": .number(String(sentAt))]
        if let from { object["from"] = .int(from) }
        let padding = size - json().count - 10
        if padding > 0 { object["pad"] = .string(String(repeating: "x", count: padding)) }
        return .object(object)
    }
}

/// Finds the stamp in a received frame without parsing it: a byte search for `"seq":`, `"t":`
/// and `"from":`. Works on raw payloads, Phoenix v1 objects, v2 arrays and kind-4 binary frames alike,
/// because the stamp's keys appear nowhere else in them.
enum PayloadScanner {
    private static let seqKey = Array("\"seq\":".utf8)
    private static let timeKey = Array("\"t\":".utf8)
    private static let fromKey = Array("\"from\":".utf8)

    /// The keys are searched in the order the generator writes them (`seq`, then `t` after it, then `from`
    /// after that), each falling back to the whole frame, so a frame is scanned about once.
    static func stamp(in buffer: ByteBuffer) -> Stamp? {
        buffer.withUnsafeReadableBytes { bytes -> Stamp? in
            guard let seq = number(after: seqKey, in: bytes, from: 0),
                  let sentAt = number(after: timeKey, in: bytes, from: seq.end) else {
                return nil
            }
            let from = number(after: fromKey, in: bytes, from: sentAt.end).map { Int($0.value) }
            return Stamp(seq: Int(seq.value), sentAt: sentAt.value, from: from)
        }
    }

    /// `integer(after:in:)` looking from `start` first, then before it; also returns where the number ended.
    private static func number(after key: [UInt8], in bytes: UnsafeRawBufferPointer, from start: Int)
        -> (value: UInt64, end: Int)? {
        if start > 0, let found = number(after: key, in: UnsafeRawBufferPointer(rebasing: bytes[start...])) {
            return (found.value, start + found.end)
        }
        return number(after: key, in: bytes)
    }

    private static let textStoredIDKey = Array("\"meta\":{\"id\":\"".utf8)
    private static let binaryStoredIDKey = Array("{\"id\":\"".utf8)

    /// Whether a broadcast carries `meta.id` (a stored chat message): `"meta":{"id":"…"}` in a text frame, or a
    /// kind-4 binary frame whose metadata (`4, topic_len, event_len, metadata_len, encoding, topic, event,
    /// metadata, payload`) is `{"id":"…"}`.
    static func hasStoredID(_ buffer: ByteBuffer, binary: Bool) -> Bool {
        buffer.withUnsafeReadableBytes { bytes in
            guard binary else { return find(textStoredIDKey, in: bytes) != nil }
            guard bytes.count >= 5, bytes[0] == 4 else { return false }
            let start = 5 + Int(bytes[1]) + Int(bytes[2])
            let end = start + Int(bytes[3])
            guard end <= bytes.count, end - start >= binaryStoredIDKey.count else { return false }
            return find(binaryStoredIDKey, in: UnsafeRawBufferPointer(rebasing: bytes[start..<end])) == 0
        }
    }

    /// The unsigned integer that follows the first occurrence of `key` (spaces allowed before it).
    static func integer(after key: [UInt8], in bytes: UnsafeRawBufferPointer) -> UInt64? {
        number(after: key, in: bytes)?.value
    }

    private static func number(after key: [UInt8], in bytes: UnsafeRawBufferPointer) -> (value: UInt64, end: Int)? {
        guard let start = find(key, in: bytes) else { return nil }
        var index = start + key.count
        while index < bytes.count, bytes[index] == UInt8(ascii: " ") { index += 1 }
        var value: UInt64 = 0
        var digits = 0
        while index < bytes.count, (48...57).contains(bytes[index]), digits < 20 {
            value = value &* 10 &+ UInt64(bytes[index] - 48)
            index += 1
            digits += 1
        }
        return digits > 0 ? (value, index) : nil
    }

    /// Offset of the first occurrence of `key`: memchr to each candidate *last* byte (for the stamp keys a `:`,
    /// which JSON has once per key, where a first byte `"` would stop at every string), then compare backwards.
    static func find(_ key: [UInt8], in bytes: UnsafeRawBufferPointer) -> Int? {
        guard let base = bytes.baseAddress, let last = key.last, bytes.count >= key.count else { return nil }
        var offset = key.count - 1
        while offset < bytes.count {
            guard let hit = memchr(base + offset, Int32(last), bytes.count - offset) else { return nil }
            let end = base.distance(to: UnsafeRawPointer(hit))
            let start = end - (key.count - 1)
            var matched = 0
            while matched < key.count - 1, bytes[start + matched] == key[matched] { matched += 1 }
            if matched == key.count - 1 { return start }
            offset = end + 1
        }
        return nil
    }
}
