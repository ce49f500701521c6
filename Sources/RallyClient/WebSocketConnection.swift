import NIOCore

/// An open client WebSocket. Thread-safe: every method may be called from any thread or task.
public final class WebSocketConnection: Sendable {
    public let channel: Channel
    /// Completes when the TCP connection is gone, with the close code the server sent (if any).
    public let closeFuture: EventLoopFuture<WebSocketCloseInfo>
    /// Inbound messages when connected with `.stream`; an already finished stream with `.callback`.
    public let messages: AsyncStream<WebSocketClientMessage>

    init(channel: Channel, closeFuture: EventLoopFuture<WebSocketCloseInfo>, messages: AsyncStream<WebSocketClientMessage>) {
        self.channel = channel
        self.closeFuture = closeFuture
        self.messages = messages
    }

    public var eventLoop: EventLoop { channel.eventLoop }
    public var isActive: Bool { channel.isActive }
    public var localAddress: SocketAddress? { channel.localAddress }

    /// Queues a message and flushes; `promise` (if any) completes when it was written to the socket.
    public func send(_ message: WebSocketClientMessage, promise: EventLoopPromise<Void>? = nil) {
        channel.writeAndFlush(WebSocketOutbound.message(message), promise: promise)
    }

    /// Queues without flushing; call `flush()` after a batch.
    public func write(_ message: WebSocketClientMessage, promise: EventLoopPromise<Void>? = nil) {
        channel.write(WebSocketOutbound.message(message), promise: promise)
    }

    public func flush() {
        channel.flush()
    }

    public func send(text: String) async throws {
        var buffer = channel.allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        try await channel.writeAndFlush(WebSocketOutbound.message(.init(kind: .text, data: buffer)))
    }

    public func send(binary: ByteBuffer) async throws {
        try await channel.writeAndFlush(WebSocketOutbound.message(.init(kind: .binary, data: binary)))
    }

    public func sendPing(_ payload: ByteBuffer = ByteBuffer()) {
        channel.writeAndFlush(WebSocketOutbound.ping(payload), promise: nil)
    }

    /// Starts the close handshake without waiting for it to finish.
    public func startClose(code: UInt16 = 1000, reason: String = "") {
        channel.writeAndFlush(WebSocketOutbound.close(code: code, reason: reason), promise: nil)
    }

    /// Sends a close frame and waits until the connection is gone (the server's close frame, or
    /// the configured close timeout). Returns what the server sent.
    @discardableResult
    public func close(code: UInt16 = 1000, reason: String = "") async -> WebSocketCloseInfo {
        startClose(code: code, reason: reason)
        return (try? await closeFuture.get()) ?? .abrupt
    }

    /// Drops the TCP connection without a close handshake.
    public func abort() {
        channel.close(promise: nil)
    }
}
