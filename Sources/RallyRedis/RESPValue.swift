import CHiredis
import NIOCore

/// One RESP2 reply, copied out of hiredis's reply tree (so it owns its bytes and outlives the reader).
///
/// hiredis 0.14 reports a nil bulk string (`$-1`) and a nil array (`*-1`) the same way (`REDIS_REPLY_NIL`); both
/// become `.bulkString(nil)`. `.array(nil)` exists for values built by hand.
public enum RESPValue: Sendable, Equatable {
    case simpleString(String)
    case error(String)
    case integer(Int)
    case bulkString(ByteBuffer?)
    case array([RESPValue]?)
}

extension RESPValue {
    /// The text of a simple string, or of a bulk string decoded as UTF-8 (invalid bytes repaired); nil otherwise.
    public var string: String? {
        switch self {
        case .simpleString(let text): return text
        case .bulkString(let buffer?): return String(buffer: buffer)
        default: return nil
        }
    }

    /// The bytes of a bulk string.
    public var bytes: ByteBuffer? {
        if case .bulkString(let buffer?) = self { return buffer }
        return nil
    }

    /// An integer reply, or a bulk/simple string holding a base-10 integer (as `GET` of a counter returns).
    public var int: Int? {
        switch self {
        case .integer(let value): return value
        case .simpleString, .bulkString: return string.flatMap { Int($0) }
        default: return nil
        }
    }

    /// The elements of a non-nil array.
    public var array: [RESPValue]? {
        if case .array(let elements?) = self { return elements }
        return nil
    }

    /// The message of an error reply (`-ERR …`, `-MOVED …`); nil for any other value.
    public var errorMessage: String? {
        if case .error(let message) = self { return message }
        return nil
    }

    /// True for `$-1` / `*-1`.
    public var isNil: Bool {
        switch self {
        case .bulkString(nil), .array(nil): return true
        default: return false
        }
    }
}

extension RESPValue {
    /// Copies a hiredis reply tree (the caller still frees it with `freeReplyObject`).
    init(copying reply: UnsafePointer<redisReply>, allocator: ByteBufferAllocator) {
        let node = reply.pointee
        switch node.type {
        case REDIS_REPLY_STRING:
            self = .bulkString(Self.buffer(node.str, count: node.len, allocator: allocator))
        case REDIS_REPLY_ARRAY:
            self = .array(Self.elements(of: node, allocator: allocator))
        case REDIS_REPLY_INTEGER:
            self = .integer(Int(node.integer))
        case REDIS_REPLY_STATUS:
            self = .simpleString(Self.text(node.str, count: node.len))
        case REDIS_REPLY_ERROR:
            self = .error(Self.text(node.str, count: node.len))
        default:  // REDIS_REPLY_NIL, and nothing else exists in RESP2
            self = .bulkString(nil)
        }
    }

    private static func elements(of node: redisReply, allocator: ByteBufferAllocator) -> [RESPValue] {
        var values: [RESPValue] = []
        values.reserveCapacity(node.elements)
        for index in 0..<node.elements {
            if let child = node.element[index] {
                values.append(RESPValue(copying: child, allocator: allocator))
            } else {
                values.append(.bulkString(nil))
            }
        }
        return values
    }

    private static func buffer(_ bytes: UnsafeMutablePointer<CChar>?, count: Int,
                               allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: count)
        if let bytes, count > 0 {
            buffer.writeBytes(UnsafeRawBufferPointer(start: bytes, count: count))
        }
        return buffer
    }

    private static func text(_ bytes: UnsafeMutablePointer<CChar>?, count: Int) -> String {
        guard let bytes, count > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: bytes, count: count), as: UTF8.self)
    }
}

/// Everything the client fails a future with. Error *replies* from Redis (`-ERR …`) are not errors of the
/// command connection: `RedisConnection.send` returns them as `RESPValue.error`.
public enum RedisError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The connection is not established (connecting, backing off before a reconnect): the command was not sent.
    case notConnected
    /// The connection closed after the command was written: its outcome is unknown (do not blindly retry).
    case connectionLost
    /// More commands are awaiting replies than the configured bound: the command was not sent.
    case tooManyInFlightCommands(limit: Int)
    /// hiredis could not parse the byte stream; the connection is closed.
    case protocolError(String)
    /// An incomplete reply buffered more bytes than allowed; the connection is closed.
    case replyTooLarge(limit: Int)
    /// AUTH, SELECT or CLIENT SETNAME was refused while setting up the connection.
    case handshakeFailed(String)
    /// A command could not be formatted (an argument over hiredis's 2 GiB limit).
    case commandFormatFailed
    /// Redis refused a (un)subscribe command (ACL, CROSSSLOT, MOVED): the message of its error reply.
    case errorReply(String)
    /// `shutdown()` was called.
    case shutDown

    public var description: String {
        switch self {
        case .notConnected: return "Redis: not connected"
        case .connectionLost: return "Redis: connection lost with the command in flight"
        case .tooManyInFlightCommands(let limit): return "Redis: more than \(limit) commands in flight"
        case .protocolError(let message): return "Redis: protocol error: \(message)"
        case .replyTooLarge(let limit): return "Redis: incomplete reply over \(limit) bytes"
        case .handshakeFailed(let message): return "Redis: connection setup refused: \(message)"
        case .commandFormatFailed: return "Redis: command could not be formatted"
        case .errorReply(let message): return "Redis: \(message)"
        case .shutDown: return "Redis: client shut down"
        }
    }
}
