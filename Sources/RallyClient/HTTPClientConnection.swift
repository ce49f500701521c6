import NIOCore
import NIOHTTP1
import NIOPosix

/// A complete HTTP response.
public struct HTTPClientResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: ByteBuffer

    public var bodyText: String { String(buffer: body) }
}

/// One keep-alive HTTP/1.1 connection for small requests (`POST /api/broadcast`, Nchan's `/pub`).
/// Requests may be pipelined; responses are matched in order. Thread-safe.
public final class HTTPClientConnection: Sendable {
    public let channel: Channel
    private let hostHeader: String

    private init(channel: Channel, hostHeader: String) {
        self.channel = channel
        self.hostHeader = hostHeader
    }

    /// Connects to `host:port` (optionally from a given local address).
    public static func connect(
        host: String,
        port: Int,
        configuration: WebSocketClientConfiguration = .init(),
        on group: EventLoopGroup
    ) -> EventLoopFuture<HTTPClientConnection> {
        WebSocketClient.bootstrap(group: group, configuration: configuration)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(HTTPResponseMatcher())
                }
            }
            .connect(host: host, port: port)
            .map { HTTPClientConnection(channel: $0, hostHeader: port == 80 ? host : "\(host):\(port)") }
    }

    /// Sends a request and completes with the response; fails if the connection closes first.
    public func request(
        method: HTTPMethod,
        path: String,
        headers: HTTPHeaders = [:],
        body: ByteBuffer? = nil
    ) -> EventLoopFuture<HTTPClientResponse> {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "Host", value: hostHeader)
        head.headers.add(contentsOf: headers)
        head.headers.replaceOrAdd(name: "Content-Length", value: String(body?.readableBytes ?? 0))
        let promise = channel.eventLoop.makePromise(of: HTTPClientResponse.self)
        channel.writeAndFlush(PendingRequest(head: head, body: body, promise: promise)).cascadeFailure(to: promise)
        return promise.futureResult
    }

    public func post(path: String, headers: HTTPHeaders = [:], body: ByteBuffer) -> EventLoopFuture<HTTPClientResponse> {
        request(method: .POST, path: path, headers: headers, body: body)
    }

    public func close() {
        channel.close(promise: nil)
    }
}

struct PendingRequest: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer?
    var promise: EventLoopPromise<HTTPClientResponse>
}

/// Writes requests and pairs each response with the oldest request still waiting.
final class HTTPResponseMatcher: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = PendingRequest
    typealias OutboundOut = HTTPClientRequestPart

    private var waiting = CircularBuffer<EventLoopPromise<HTTPClientResponse>>()
    private var current: HTTPClientResponse?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = Self.unwrapOutboundIn(data)
        waiting.append(request.promise)
        context.write(Self.wrapOutboundOut(.head(request.head)), promise: nil)
        if let body = request.body, body.readableBytes > 0 {
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        context.write(Self.wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            current = HTTPClientResponse(status: Int(head.status.code), headers: head.headers, body: ByteBuffer())
        case .body(var part):
            current?.body.writeBuffer(&part)
        case .end:
            if let response = current, let promise = waiting.popFirst() { promise.succeed(response) }
            current = nil
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(WebSocketClientError.connectionClosed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: Error) {
        while let promise = waiting.popFirst() { promise.fail(error) }
    }
}

@available(*, unavailable)
extension HTTPResponseMatcher: Sendable {}
