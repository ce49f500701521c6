import NIOCore
import NIOHTTP1

/// The HTTP response of an upgrade the server refused.
struct RefusedUpgrade: Sendable {
    var status: Int
    var headers: [String: String]
    var body: String

    var error: WebSocketClientError { .upgradeRefused(status: status, headers: headers, body: body) }
}

/// Installed when the server answers the upgrade request with anything but 101: reads that
/// response (status, headers, a bounded body) and closes the connection.
final class RefusedUpgradeCollector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<RefusedUpgrade>
    private let maxBodySize: Int
    private var response = RefusedUpgrade(status: 0, headers: [:], body: "")
    private var body = ByteBuffer()
    private var finished = false

    init(promise: EventLoopPromise<RefusedUpgrade>, maxBodySize: Int) {
        self.promise = promise
        self.maxBodySize = maxBodySize
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            response.status = Int(head.status.code)
            for (name, value) in head.headers { response.headers[name.lowercased()] = value }
        case .body(var part):
            let room = max(0, maxBodySize - body.readableBytes)
            if let slice = part.readSlice(length: min(room, part.readableBytes)) { body.writeImmutableBuffer(slice) }
        case .end:
            finish()
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        finish()
        context.close(promise: nil)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish()
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        response.body = String(buffer: body)
        promise.succeed(response)
    }
}

@available(*, unavailable)
extension RefusedUpgradeCollector: Sendable {}
