import CHiredis
import NIOCore

/// Turns the bytes of a connection into `RESPValue`s with hiredis's reader (RESP2 only).
///
/// One per channel, used only on its event loop. hiredis copies what it is fed, so each inbound `ByteBuffer` is
/// released at once. A reader error is unrecoverable (the stream position is lost): the decoder fires
/// `RedisError.protocolError` and closes the channel. An incomplete reply may hold at most `maxPendingBytes`
/// (the bytes hiredis already consumed into it plus those it still buffers): past it the decoder fires
/// `RedisError.replyTooLarge` and closes, since hiredis itself bounds no bulk size.
public final class RESPReplyDecoder: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = RESPValue

    public static let defaultMaxPendingBytes = 16 * 1024 * 1024

    private var reader: UnsafeMutablePointer<redisReader>?
    private let maxPendingBytes: Int
    /// Bytes of the incomplete reply that hiredis has already parsed into partial reply objects.
    private var consumedIntoPartial = 0
    private var failed = false

    public init(maxPendingBytes: Int = RESPReplyDecoder.defaultMaxPendingBytes) {
        self.maxPendingBytes = maxPendingBytes
        self.reader = redisReaderCreate()
    }

    deinit {
        if let reader { redisReaderFree(reader) }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        if let reader { redisReaderFree(reader) }
        reader = nil
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        guard !failed, let reader else { return }
        feed(bytes, to: reader)
        if let message = drainReplies(reader, context: context) {
            fail(RedisError.protocolError(message), context: context)
        } else if consumedIntoPartial + Self.unparsedBytes(reader) > maxPendingBytes {
            fail(RedisError.replyTooLarge(limit: maxPendingBytes), context: context)
        }
    }

    private static func unparsedBytes(_ reader: UnsafeMutablePointer<redisReader>) -> Int {
        rally_redisReaderPendingBytes(reader)
    }

    private func feed(_ bytes: ByteBuffer, to reader: UnsafeMutablePointer<redisReader>) {
        bytes.withUnsafeReadableBytes { raw in
            guard let base = raw.baseAddress, raw.count > 0 else { return }
            _ = redisReaderFeed(reader, base.assumingMemoryBound(to: CChar.self), raw.count)
        }
    }

    /// Emits every complete reply the reader holds; the reader's error message if it failed.
    private func drainReplies(_ reader: UnsafeMutablePointer<redisReader>, context: ChannelHandlerContext) -> String? {
        while !failed {
            let (lengthBefore, positionBefore) = (reader.pointee.len, reader.pointee.pos)
            var raw: UnsafeMutableRawPointer?
            guard redisReaderGetReply(reader, &raw) == REDIS_OK else {
                return String(cString: rally_redisReaderError(reader))
            }
            guard let root = raw else {
                consumedIntoPartial += Self.consumed(reader, lengthBefore: lengthBefore, positionBefore: positionBefore)
                break
            }
            consumedIntoPartial = 0
            let value = RESPValue(copying: root.assumingMemoryBound(to: redisReply.self),
                                  allocator: context.channel.allocator)
            freeReplyObject(root)
            context.fireChannelRead(wrapInboundOut(value))
        }
        return nil
    }

    /// Bytes one `redisReaderGetReply` call parsed. After parsing it may drop the parsed prefix of its buffer
    /// (then `pos` restarts at 0 and `len` shrinks by the old `pos`), which the arithmetic undoes.
    private static func consumed(_ reader: UnsafeMutablePointer<redisReader>, lengthBefore: Int,
                                 positionBefore: Int) -> Int {
        let length = reader.pointee.len
        let positionAfter = length < lengthBefore ? lengthBefore - length : reader.pointee.pos
        return positionAfter - positionBefore
    }

    private func fail(_ error: RedisError, context: ChannelHandlerContext) {
        guard !failed else { return }
        failed = true
        context.fireErrorCaught(error)
        context.close(promise: nil)
    }
}

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
