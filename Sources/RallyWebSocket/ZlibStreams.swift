// zlib raw-deflate streams for permessage-deflate (RFC 7692 §7.2), and per-thread reuse of them.
import CZlib
import NIOCore
import NIOPosix

/// Failures from a zlib stream.
enum ZlibError: Error, Equatable {
    case initialisationFailed(Int32)
    /// The compressed data is corrupt.
    case corruptData
    /// The inflated output would be larger than the allowed limit.
    case outputLimitExceeded
}

/// Compresses whole messages independently (the server always uses no context takeover).
final class MessageDeflater {
    private let stream: UnsafeMutablePointer<z_stream>
    /// The LZ77 window (2^bits) the peer allows; 8 is served with run-length matches only.
    let windowBits: Int
    /// zlib level 1: several times faster than the default 6 for a few percent more bytes, the right
    /// trade for realtime traffic (and it keeps per-session compression cheap).
    static let compressionLevel: Int32 = 1

    /// - Parameter memoryLevel: zlib's memLevel (1...9): the hash table size, which every reset clears.
    init(windowBits: Int, memoryLevel: Int32 = 8) throws {
        self.windowBits = windowBits
        self.stream = .allocate(capacity: 1)
        self.stream.initialize(to: z_stream())
        // zlib cannot produce raw streams with a 256-byte window; Z_RLE only emits distance-1 matches,
        // which any window decodes, so a 512-byte window setting is then safe.
        let strategy = windowBits <= 8 ? Z_RLE : Z_DEFAULT_STRATEGY
        let bits = Int32(-max(windowBits, 9))
        let status = rally_deflateInit2WithStrategy(self.stream, Self.compressionLevel, bits, memoryLevel, strategy)
        guard status == Z_OK else {
            self.stream.deallocate()
            throw ZlibError.initialisationFailed(status)
        }
    }

    deinit {
        deflateEnd(self.stream)
        self.stream.deallocate()
    }

    /// Appends the compressed form of `payload` to `output`: the sync-flushed raw deflate stream
    /// without its trailing `00 00 ff ff`.
    func compress(_ payload: ByteBuffer, appendingTo output: inout ByteBuffer) {
        defer { deflateReset(self.stream) }
        let bound = Int(deflateBound(self.stream, uLong(payload.readableBytes))) + 16
        output.reserveCapacity(minimumWritableBytes: bound)
        payload.withUnsafeReadableBytes { input in
            self.stream.pointee.next_in = UnsafeMutablePointer(
                mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self)
            )
            self.stream.pointee.avail_in = uInt(input.count)
            repeat {
                output.writeWithUnsafeMutableBytes(minimumWritableBytes: 64) { out in
                    self.stream.pointee.next_out = out.baseAddress?.assumingMemoryBound(to: Bytef.self)
                    self.stream.pointee.avail_out = uInt(out.count)
                    let status = deflate(self.stream, Z_SYNC_FLUSH)
                    assert(status == Z_OK || status == Z_BUF_ERROR, "deflate failed: \(status)")
                    return out.count - Int(self.stream.pointee.avail_out)
                }
            } while self.stream.pointee.avail_out == 0
            self.stream.pointee.next_in = nil
        }
        output.moveWriterIndex(to: output.writerIndex - 4)
    }
}

/// Decompresses one peer's messages; keeps its window between messages unless `reset` is called.
final class MessageInflater {
    private let stream: UnsafeMutablePointer<z_stream>
    let windowBits: Int
    private static let growthStep = 16 * 1024

    init(windowBits: Int) throws {
        self.windowBits = windowBits
        self.stream = .allocate(capacity: 1)
        self.stream.initialize(to: z_stream())
        let status = rally_inflateInit2(self.stream, Int32(-max(windowBits, 9)))
        guard status == Z_OK else {
            self.stream.deallocate()
            throw ZlibError.initialisationFailed(status)
        }
    }

    deinit {
        inflateEnd(self.stream)
        self.stream.deallocate()
    }

    /// Forgets the window (client_no_context_takeover) so the stream can start a new message.
    func reset() {
        inflateReset(self.stream)
    }

    /// Inflates `input`, appending to `output`, whose readable bytes must never exceed `limit`.
    func inflate(_ input: UnsafeRawBufferPointer, into output: inout ByteBuffer, limit: Int) throws {
        guard input.count > 0 else { return }
        self.stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        self.stream.pointee.avail_in = uInt(input.count)
        defer { self.stream.pointee.next_in = nil }
        while true {
            let room = limit + 1 - output.readableBytes
            guard room > 0 else { throw ZlibError.outputLimitExceeded }
            let want = min(room, max(Self.growthStep, 2 * Int(self.stream.pointee.avail_in)))
            var status: Int32 = Z_OK
            output.writeWithUnsafeMutableBytes(minimumWritableBytes: want) { out in
                let usable = min(out.count, room)
                self.stream.pointee.next_out = out.baseAddress?.assumingMemoryBound(to: Bytef.self)
                self.stream.pointee.avail_out = uInt(usable)
                status = CZlib.inflate(self.stream, Z_SYNC_FLUSH)
                return usable - Int(self.stream.pointee.avail_out)
            }
            guard output.readableBytes <= limit else { throw ZlibError.outputLimitExceeded }
            switch status {
            case Z_OK, Z_BUF_ERROR:
                if self.stream.pointee.avail_out != 0 { return }
            case Z_STREAM_END:
                // A final block ends this deflate stream; any further bytes start a new one.
                inflateReset(self.stream)
                if self.stream.pointee.avail_in == 0 { return }
            default:
                throw ZlibError.corruptData
            }
        }
    }
}

/// Per-thread zlib streams: deflaters per window size (a small-memory one for short payloads, whose
/// per-message reset is then cheap), and idle inflaters for sessions that do not keep a window between
/// messages. Event loops are threads, so nothing here is shared across threads.
final class ZlibStreamCache {
    /// One per thread: a thread only ever sees its own value, so sharing the variable is safe.
    nonisolated(unsafe) private static let perThread = ThreadSpecificVariable<ZlibStreamCache>()
    private static let maxIdleInflaters = 8
    /// Payloads below this size use the small deflater (memLevel 4: a 4 KiB hash table to clear).
    static let smallPayloadLimit = 4096

    private var deflaters: [Int: MessageDeflater] = [:]
    private var idleInflaters: [MessageInflater] = []

    /// The calling thread's cache.
    static var current: ZlibStreamCache {
        if let cache = perThread.currentValue { return cache }
        let cache = ZlibStreamCache()
        perThread.currentValue = cache
        return cache
    }

    func deflater(windowBits: Int, payloadSize: Int) -> MessageDeflater? {
        let isSmall = payloadSize < Self.smallPayloadLimit
        let key = windowBits * 2 + (isSmall ? 1 : 0)
        if let deflater = self.deflaters[key] { return deflater }
        // The hash table is walked each time the window slides, so small windows get small tables.
        let memoryLevel = min(isSmall ? 4 : 8, max(2, Int32(windowBits) - 7))
        let deflater = try? MessageDeflater(windowBits: windowBits, memoryLevel: memoryLevel)
        self.deflaters[key] = deflater
        return deflater
    }

    func takeInflater(windowBits: Int) throws -> MessageInflater {
        if let index = self.idleInflaters.lastIndex(where: { $0.windowBits == windowBits }) {
            return self.idleInflaters.remove(at: index)
        }
        return try MessageInflater(windowBits: windowBits)
    }

    func recycle(_ inflater: MessageInflater) {
        guard self.idleInflaters.count < Self.maxIdleInflaters else { return }
        inflater.reset()
        self.idleInflaters.append(inflater)
    }
}
