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

/// One node of a Redis Cluster, as `CLUSTER SHARDS` describes it.
public struct RedisClusterNode: Sendable, Hashable, CustomStringConvertible {
    public var id: String
    public var host: String
    public var port: Int
    public var isPrimary: Bool

    public init(id: String, host: String, port: Int, isPrimary: Bool) {
        self.id = id
        self.host = host
        self.port = port
        self.isPrimary = isPrimary
    }

    /// `host:port`, as in `-MOVED` replies.
    public var address: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    public var description: String { "\(address) (\(isPrimary ? "primary" : "replica") \(id.prefix(8)))" }
}

/// Which primary serves which hash slot, read from `CLUSTER SHARDS` (Redis 7).
public struct RedisClusterTopology: Sendable, Equatable {
    /// The primary of each shard that owns slots, in the order Redis listed them.
    public private(set) var primaries: [RedisClusterNode]
    /// For each of the 16384 slots, the index of its primary in `primaries` (nil: unassigned).
    private var owners: [Int?]

    public enum ParseError: Error, Equatable, Sendable {
        case malformed(String)
    }

    /// Parses a `CLUSTER SHARDS` reply. With `tls`, a node's `tls-port` is used when it has one.
    public init(shards reply: RESPValue, tls: Bool = false) throws {
        guard let shards = reply.array else { throw ParseError.malformed("CLUSTER SHARDS is not an array") }
        primaries = []
        owners = Array(repeating: nil, count: RedisKeySlot.count)
        for shard in shards {
            let fields = try Self.fields(of: shard)
            guard let primary = try Self.primary(in: fields["nodes"], tls: tls) else { continue }
            let ranges = try Self.slotRanges(fields["slots"])
            guard !ranges.isEmpty else { continue }
            primaries.append(primary)
            for range in ranges { range.forEach { owners[$0] = primaries.count - 1 } }
        }
    }

    public func primary(forSlot slot: Int) -> RedisClusterNode? {
        guard owners.indices.contains(slot), let index = owners[slot] else { return nil }
        return primaries[index]
    }

    public func primary(forKey key: String) -> RedisClusterNode? {
        primary(forSlot: RedisKeySlot.slot(of: key))
    }

    /// A `[name, value, name, value, …]` array as a dictionary.
    private static func fields(of value: RESPValue) throws -> [String: RESPValue] {
        guard let elements = value.array, elements.count % 2 == 0 else { throw ParseError.malformed("\(value)") }
        var fields: [String: RESPValue] = [:]
        for index in stride(from: 0, to: elements.count, by: 2) {
            guard let name = elements[index].string else { throw ParseError.malformed("field name \(elements[index])") }
            fields[name] = elements[index + 1]
        }
        return fields
    }

    /// `slots` is a flat list of inclusive [start, end] pairs.
    private static func slotRanges(_ value: RESPValue?) throws -> [ClosedRange<Int>] {
        guard let bounds = value?.array?.map(\.int), bounds.count % 2 == 0 else {
            throw ParseError.malformed("slots \(String(describing: value))")
        }
        return try stride(from: 0, to: bounds.count, by: 2).map { index in
            guard let start = bounds[index], let end = bounds[index + 1], 0 <= start, start <= end,
                  end < RedisKeySlot.count else { throw ParseError.malformed("slot range \(bounds)") }
            return start...end
        }
    }

    /// The shard's online primary (`role` `master`), if it has one.
    private static func primary(in value: RESPValue?, tls: Bool) throws -> RedisClusterNode? {
        guard let nodes = value?.array else { throw ParseError.malformed("nodes \(String(describing: value))") }
        for node in nodes {
            let fields = try Self.fields(of: node)
            guard fields["role"]?.string == "master", fields["health"]?.string ?? "online" == "online" else { continue }
            let hosts = [fields["endpoint"], fields["ip"]].compactMap { $0?.string }
            guard let id = fields["id"]?.string,
                  let host = hosts.first(where: { $0 != "?" && !$0.isEmpty }),  // "?": endpoint unknown
                  let port = (tls ? fields["tls-port"]?.int : nil) ?? fields["port"]?.int else {
                throw ParseError.malformed("node \(node)")
            }
            return RedisClusterNode(id: id, host: host, port: port, isPrimary: true)
        }
        return nil
    }
}

/// The target of a `-MOVED <slot> <host>:<port>` error reply.
public struct RedisMovedRedirect: Sendable, Equatable {
    public var slot: Int
    public var host: String
    public var port: Int

    /// Parses the message of an error reply; nil if it is not a MOVED.
    public init?(errorMessage: String) {
        let parts = errorMessage.split(separator: " ")
        guard parts.count == 3, parts[0] == "MOVED", let slot = Int(parts[1]),
              let colon = parts[2].lastIndex(of: ":"), let port = Int(parts[2][parts[2].index(after: colon)...]) else {
            return nil
        }
        self.slot = slot
        self.host = String(parts[2][..<colon]).trimmingBrackets()
        self.port = port
    }

    /// `host:port`, written as `RedisClusterNode.address`.
    public var address: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

extension String {
    fileprivate func trimmingBrackets() -> String {
        hasPrefix("[") && hasSuffix("]") ? String(dropFirst().dropLast()) : self
    }
}
