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
