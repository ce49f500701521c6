import RallyBus
import RallyRedis

/// The bus channel names on a Redis Cluster (README "Redis Cluster"). Sharded pub/sub delivers a channel on the
/// shard that owns its hash slot, so every name carries a hash tag:
///
/// - a topic: `rally:{<tag>}:t:<topic>`, `<tag>` the partition tag of `FNV-1a 64(topic) % partitions`;
/// - a node: `rally:{<tag>}:n:<hex id>`, `<tag>` the partition tag of `FNV-1a 64("n:<hex id>") % partitions`;
/// - control: `rally:{ctl}:ctl`; the service ingress: `rally:{in}:in`.
///
/// Every node must use the same partition count: the table is a pure function of it.
public struct ClusterChannelNames: Sendable {
    public let tags: PartitionTags

    public init(partitions: Int = PartitionTags.defaultCount) throws {
        tags = try PartitionTags(count: partitions)
    }

    public static let control = "rally:{ctl}:ctl"
    public static let ingress = "rally:{in}:in"

    /// The Redis channel that `channel` stands for.
    public func name(of channel: BusChannel) -> String {
        switch channel {
        case .topic(let topic): return "rally:{\(tags.tag(for: topic))}:t:" + topic
        case .control: return Self.control
        case .ingress: return Self.ingress
        case .node(let node):
            let key = "n:" + String(node, radix: 16)
            return "rally:{\(tags.tag(for: key))}:" + key
        }
    }

    /// The bus channel a sharded channel name stands for; nil for a name Rally does not use.
    public func channel(named name: String) -> BusChannel? {
        if name == Self.control { return .control }
        if name == Self.ingress { return .ingress }
        guard name.hasPrefix("rally:{"), let close = name.firstIndex(of: "}") else { return nil }
        let rest = name[name.index(after: close)...]
        if rest.hasPrefix(":t:") { return .topic(String(rest.dropFirst(3))) }
        if rest.hasPrefix(":n:"), let node = UInt64(rest.dropFirst(3), radix: 16) { return .node(node) }
        return nil
    }
}

/// One short hash tag per partition, whose cluster slots are evenly spaced: partition `p` gets the first string
/// (shortest first, then in `0-9a-z` order) whose slot is exactly `p * 16384 / count`. Deterministic, so every
/// node computes the same table; computed once at start (a few tens of thousands of CRC16s for 128 partitions).
public struct PartitionTags: Sendable, Equatable {
    public static let defaultCount = 128
    public static let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz".utf8)

    public let table: [String]

    public enum Failure: Error, Equatable {
        case invalidCount(Int)
    }

    public init(count: Int) throws {
        guard (1...RedisKeySlot.count).contains(count) else { throw Failure.invalidCount(count) }
        table = Self.generate(count: count)
    }

    public var count: Int { table.count }

    /// The slot partition `p`'s tag must have.
    public static func targetSlot(of partition: Int, count: Int) -> Int {
        partition * RedisKeySlot.count / count
    }

    /// The partition of a topic (or any key): `FNV-1a 64(UTF-8 bytes) % count`.
    public func partition(of key: String) -> Int {
        Int(Self.fnv1a64(key.utf8) % UInt64(table.count))
    }

    public func tag(for key: String) -> String { table[partition(of: key)] }

    public static func fnv1a64<Bytes: Sequence>(_ bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }

    private static func generate(count: Int) -> [String] {
        var wanted: [Int: Int] = [:]  // slot -> partition
        for partition in 0..<count { wanted[targetSlot(of: partition, count: count)] = partition }
        var table = [String](repeating: "", count: count)
        var length = 1
        while !wanted.isEmpty {
            var candidate = [UInt8](repeating: alphabet[0], count: length)
            repeat {
                if let partition = wanted.removeValue(forKey: RedisKeySlot.slot(of: candidate)) {
                    table[partition] = String(decoding: candidate, as: UTF8.self)
                }
            } while !wanted.isEmpty && advance(&candidate)
            length += 1
        }
        return table
    }

    /// The next string of the same length in alphabet order; false after the last.
    private static func advance(_ candidate: inout [UInt8]) -> Bool {
        var index = candidate.count - 1
        while index >= 0 {
            let position = alphabet.firstIndex(of: candidate[index])! + 1
            if position < alphabet.count { candidate[index] = alphabet[position]; return true }
            candidate[index] = alphabet[0]
            index -= 1
        }
        return false
    }
}
