// One TCP connection to the floor: an HTTP request (a publish, a ping) or a WebSocket subscriber. The least a hub
// does for each: read the request, answer it, and for a publish one frame encoded once for every subscriber.
import NIOCore

final class FloorConnection: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private enum Mode {
        case http
        /// Upgraded: subscribed to `topic`; `publishes`: its own frames are published to the topic too.
        case webSocket(topic: String, publishes: Bool)
    }

    private let topics: FloorTopics
    private var mode = Mode.http
    private var received: ByteBuffer? = nil
    private var context: ChannelHandlerContext? = nil
    /// Index in its loop's topic list (see LoopTopics).
    var slot = -1
    private var isUnflushed = false

    init(topics: FloorTopics) {
        self.topics = topics
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if received == nil { received = bytes } else { received!.writeBuffer(&bytes) }
        do {
            while try step(context: context) {}
        } catch {
            context.close(promise: nil)
        }
        if received?.readableBytes == 0 { received = nil }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .webSocket(let topic, _) = mode { topics.unsubscribe(self, topic: topic, on: context.eventLoop) }
        self.context = nil
    }

    /// Written by a publish on this loop (unflushed). True when the connection now waits for a flush and was not
    /// already waiting (the caller files it once); false when it was, or when the socket is gone.
    func write(_ frame: ByteBuffer) -> Bool {
        guard let context else { return false }
        context.write(NIOAny(frame), promise: nil)
        if isUnflushed { return false }
        isUnflushed = true
        return true
    }

    func flush() {
        isUnflushed = false
        context?.flush()
    }

    /// Handles one request or frame from `received`; false when more bytes are needed.
    private func step(context: ChannelHandlerContext) throws -> Bool {
        guard var buffer = received, buffer.readableBytes > 0 else { return false }
        received = nil  // `buffer` is then the only reference: reading from it copies nothing
        defer { received = buffer }
        switch mode {
        case .http: return try request(from: &buffer, context: context)
        case .webSocket(let topic, let publishes): return try frame(from: &buffer, topic: topic, publishes: publishes,
                                                                   context: context)
        }
    }

    private func request(from buffer: inout ByteBuffer, context: ChannelHandlerContext) throws -> Bool {
        switch FloorRequest.parse(buffer) {
        case .incomplete: return false
        case .invalid: throw FloorError.badFrame
        case .complete(let request, let headBytes):
            guard buffer.readableBytes >= headBytes + request.contentLength else { return false }
            buffer.moveReaderIndex(forwardBy: headBytes)
            let body = buffer.readSlice(length: request.contentLength)!
            answer(request, body: body, context: context)
            return true
        }
    }

    private func answer(_ request: FloorRequest, body: ByteBuffer, context: ChannelHandlerContext) {
        let path = request.path
        if request.method == "POST", path.hasPrefix("/pub/") {
            send(FloorResponse.accepted, context: context)
            publish(body.readableBytesView, topic: String(path.dropFirst(5)), context: context)
        } else if request.method == "GET", let key = request.webSocketKey,
                  let topic = [("/sub/", false), ("/pubsub/", true)].first(where: { path.hasPrefix($0.0) }) {
            send(FloorResponse.switching(key: key), context: context)
            let name = String(path.dropFirst(topic.0.count))
            mode = .webSocket(topic: name, publishes: topic.1)
            topics.subscribe(self, topic: name, on: context.eventLoop)
        } else if request.method == "GET", path == "/ping" {
            send(FloorResponse.ok, context: context)
        } else {
            send(FloorResponse.notFound, context: context)
            context.flush()
            context.close(promise: nil)
        }
    }

    private func frame(from buffer: inout ByteBuffer, topic: String, publishes: Bool,
                       context: ChannelHandlerContext) throws -> Bool {
        guard let (opcode, payload) = try FloorFrame.decode(&buffer, maxPayload: FloorRequest.maxBodyBytes) else {
            return false
        }
        switch opcode {
        case 1, 2: if publishes { publish(payload, topic: topic, context: context) }
        case 8: reply(opcode: 8, payload: payload, context: context); context.close(promise: nil)
        case 9: reply(opcode: 10, payload: payload, context: context)
        case 10: break
        default: throw FloorError.badFrame
        }
        return true
    }

    private func publish(_ payload: some Collection<UInt8>, topic: String, context: ChannelHandlerContext) {
        let frame = FloorFrame.encode(opcode: 1, payload: payload, allocator: context.channel.allocator)
        topics.publish(frame, topic: topic, from: context.eventLoop)
    }

    private func reply(opcode: UInt8, payload: [UInt8], context: ChannelHandlerContext) {
        let frame = FloorFrame.encode(opcode: opcode, payload: payload, allocator: context.channel.allocator)
        context.writeAndFlush(NIOAny(frame), promise: nil)
    }

    private func send(_ text: String, context: ChannelHandlerContext) {
        context.write(NIOAny(context.channel.allocator.buffer(string: text)), promise: nil)
    }
}
