import NIOCore
import NIOHTTP1

/// How `WebSocketClient` connects. Every field has a default that suits tests and the load generator.
public struct WebSocketClientConfiguration: Sendable {
    /// Extra request headers for the upgrade request (e.g. `x-api-key`, `Origin`).
    public var headers: HTTPHeaders = [:]
    /// Local source address (e.g. `"127.0.0.7"`) to bind before connecting; nil lets the kernel choose.
    /// Spreading connections over several loopback addresses lifts the ~28k ephemeral-port ceiling.
    public var localAddress: String? = nil
    /// Largest frame accepted from the server (the decoder refuses bigger ones with close 1009).
    public var maxFrameSize: Int = 1 << 24
    /// Largest reassembled message accepted from the server.
    public var maxMessageSize: Int = 1 << 24
    /// TCP connect timeout.
    public var connectTimeout: TimeAmount = .seconds(10)
    /// How long the server may take to answer the upgrade request (Rally delays refusals by 2 s).
    public var upgradeTimeout: TimeAmount = .seconds(15)
    /// How long `close()` waits for the server's close frame before dropping the TCP connection.
    public var closeTimeout: TimeAmount = .seconds(5)
    /// Most bytes of a refused upgrade response body kept in `WebSocketClientError.upgradeRefused`.
    public var maxRefusalBodySize: Int = 64 * 1024
    /// Socket receive buffer (SO_RCVBUF); nil keeps the kernel default. Small buffers keep many idle clients cheap.
    public var receiveBufferSize: Int? = nil

    public init() {}
}

/// Why a connection could not be made or was lost.
public enum WebSocketClientError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidURL(String, reason: String)
    /// The server answered the upgrade with something other than 101.
    case upgradeRefused(status: Int, headers: [String: String], body: String)
    /// The server answered 101 but the handshake was not valid (wrong accept key, no upgrade header).
    case handshakeFailed(String)
    /// The operation needs an open connection.
    case connectionClosed
    /// A reply did not arrive in time.
    case timedOut(String)

    public var description: String {
        switch self {
        case let .invalidURL(url, reason): return "invalid WebSocket URL \(url): \(reason)"
        case let .upgradeRefused(status, _, body): return "upgrade refused with HTTP \(status): \(body)"
        case let .handshakeFailed(reason): return "WebSocket handshake failed: \(reason)"
        case .connectionClosed: return "connection closed"
        case let .timedOut(what): return "timed out waiting for \(what)"
        }
    }

    /// The HTTP status of a refused upgrade, nil for other errors.
    public var refusalStatus: Int? {
        if case let .upgradeRefused(status, _, _) = self { return status }
        return nil
    }

    /// The body of a refused upgrade, nil for other errors.
    public var refusalBody: String? {
        if case let .upgradeRefused(_, _, body) = self { return body }
        return nil
    }
}
