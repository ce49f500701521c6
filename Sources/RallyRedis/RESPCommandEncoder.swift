import CHiredis
import NIOCore

/// Formats a command (`["SET", "key", "value"]`) as a RESP2 multi-bulk request with hiredis's
/// `redisFormatCommandArgv`. Binary-safe: arguments may hold any bytes, `\0` included.
public enum RESPCommandEncoder {
    /// Appends the formatted command to `buffer`.
    public static func encode(_ arguments: [ByteBuffer], into buffer: inout ByteBuffer) throws {
        var joined = ByteBuffer()
        joined.reserveCapacity(arguments.reduce(0) { $0 + $1.readableBytes })
        var lengths: [Int] = []
        lengths.reserveCapacity(arguments.count)
        for var argument in arguments {
            lengths.append(argument.readableBytes)
            joined.writeBuffer(&argument)
        }
        try format(joined, lengths: lengths, into: &buffer)
    }

    /// Appends the formatted command to `buffer`; each string is sent as its UTF-8 bytes.
    public static func encode(_ arguments: [String], into buffer: inout ByteBuffer) throws {
        var joined = ByteBuffer()
        var lengths: [Int] = []
        lengths.reserveCapacity(arguments.count)
        for argument in arguments {
            lengths.append(joined.writeString(argument))
        }
        try format(joined, lengths: lengths, into: &buffer)
    }

    /// The formatted command in a new buffer.
    public static func encode(_ arguments: [ByteBuffer],
                              allocator: ByteBufferAllocator = .init()) throws -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 0)
        try encode(arguments, into: &buffer)
        return buffer
    }

    /// The formatted command in a new buffer.
    public static func encode(_ arguments: [String], allocator: ByteBufferAllocator = .init()) throws -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 0)
        try encode(arguments, into: &buffer)
        return buffer
    }

    /// Calls hiredis with pointers into `joined` (the arguments back to back) and copies its output out.
    private static func format(_ joined: ByteBuffer, lengths: [Int], into buffer: inout ByteBuffer) throws {
        guard !lengths.isEmpty, lengths.count <= Int(Int32.max) else { throw RedisError.commandFormatFailed }
        let formatted: (UnsafeMutablePointer<CChar>, Int)? = joined.withUnsafeReadableBytes { raw in
            withUnsafeTemporaryAllocation(of: CChar.self, capacity: 1) { empty in
                let base = raw.baseAddress?.assumingMemoryBound(to: CChar.self) ?? UnsafePointer(empty.baseAddress!)
                var argv: [UnsafePointer<CChar>?] = []
                argv.reserveCapacity(lengths.count)
                var offset = 0
                for length in lengths {
                    argv.append(base + offset)
                    offset += length
                }
                var target: UnsafeMutablePointer<CChar>?
                let count = lengths.withUnsafeBufferPointer { lengthPointer in
                    argv.withUnsafeMutableBufferPointer { argvPointer in
                        redisFormatCommandArgv(&target, Int32(lengths.count), argvPointer.baseAddress,
                                               lengthPointer.baseAddress)
                    }
                }
                guard count >= 0, let target else { return nil }
                return (target, Int(count))
            }
        }
        guard let (command, count) = formatted else { throw RedisError.commandFormatFailed }
        defer { redisFreeCommand(command) }
        buffer.writeBytes(UnsafeRawBufferPointer(start: command, count: count))
    }
}
