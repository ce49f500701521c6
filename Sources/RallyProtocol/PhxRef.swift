import NIOConcurrencyHelpers

#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Presence refs from the process-wide generator.
public enum PhxRef {
    /// A new unique 16-character ref (see `PhxRefGenerator`).
    public static func next() -> String { PhxRefGenerator.shared.next() }
}

/// Generates presence refs the way phoenix_pubsub does (`shard.ex` `random_ref/0`):
/// base64url without padding of 8 bytes wall-clock nanoseconds, 2 bytes node hash, 2 bytes counter,
/// a 16-character string such as `"GHlE8VLvxuKGzQJN"`.
///
/// Refs from one generator are unique: the time part is forced to increase strictly between calls,
/// so even a clock that stalls or steps back cannot repeat a ref. Thread-safe.
public final class PhxRefGenerator: Sendable {
    /// A process-wide generator with a random node hash.
    public static let shared = PhxRefGenerator()

    private let nodeHash: UInt16
    private let clock: @Sendable () -> UInt64
    private let state = NIOLockedValueBox(State())

    private struct State {
        var lastNanoseconds: UInt64 = 0
        var counter: UInt16 = 0
    }

    /// - Parameters:
    ///   - nodeName: hashed into the 2-byte node part (e.g. a cluster node id); random when nil.
    ///   - clock: nanoseconds since the Unix epoch; injectable for tests.
    public init(
        nodeName: String? = nil,
        clock: @escaping @Sendable () -> UInt64 = PhxRefGenerator.wallClockNanoseconds
    ) {
        if let nodeName {
            self.nodeHash = UInt16(truncatingIfNeeded: FNV1a64.hash(nodeName.utf8))
        } else {
            self.nodeHash = UInt16.random(in: .min ... .max)
        }
        self.clock = clock
    }

    /// A new unique 16-character ref.
    public func next() -> String {
        let now = clock()
        let (nanoseconds, counter) = state.withLockedValue { state -> (UInt64, UInt16) in
            state.lastNanoseconds = max(now, state.lastNanoseconds &+ 1)
            state.counter &+= 1
            return (state.lastNanoseconds, state.counter)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(12)
        for shift in stride(from: 56, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: nanoseconds >> UInt64(shift)))
        }
        bytes.append(contentsOf: [UInt8(nodeHash >> 8), UInt8(nodeHash & 0xFF)])
        bytes.append(contentsOf: [UInt8(counter >> 8), UInt8(counter & 0xFF)])
        return Base64.encode(bytes, urlSafe: true)
    }

    /// Nanoseconds since the Unix epoch from the system's real-time clock.
    @Sendable public static func wallClockNanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }
}

/// RFC 4648 base64: the standard alphabet with padding, or base64url without padding.
enum Base64 {
    private static let standard = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let urlSafe = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    static func encode<Bytes: Collection>(_ bytes: Bytes, urlSafe: Bool) -> String where Bytes.Element == UInt8 {
        let alphabet = urlSafe ? Self.urlSafe : Self.standard
        let input = Array(bytes)
        var output: [UInt8] = []
        output.reserveCapacity((input.count + 2) / 3 * 4)
        for start in stride(from: 0, to: input.count, by: 3) {
            let available = min(3, input.count - start)
            var group: UInt32 = 0
            for offset in 0..<3 {
                group = group << 8 | UInt32(offset < available ? input[start + offset] : 0)
            }
            for position in 0...available {
                output.append(alphabet[Int(group >> UInt32(18 - 6 * position) & 0x3F)])
            }
            if !urlSafe, available < 3 {
                output.append(contentsOf: repeatElement(UInt8(ascii: "="), count: 3 - available))
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}

/// 64-bit FNV-1a, used for stable ids and node hashes.
enum FNV1a64 {
    static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    static let prime: UInt64 = 0x0000_0100_0000_01b3

    static func hash<Bytes: Sequence>(_ bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
        var hash = offsetBasis
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= prime
        }
        return hash
    }
}
