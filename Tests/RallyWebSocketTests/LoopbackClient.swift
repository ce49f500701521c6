// A raw TCP client for loopback tests: sends bytes, waits (with a deadline) for the bytes it expects.
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import XCTest

final class LoopbackClient: @unchecked Sendable {
    private final class Collector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        var received = ByteBuffer()
        var waiters: [(condition: (ByteBuffer) -> Bool, promise: EventLoopPromise<ByteBuffer>)] = []
        let closed: EventLoopPromise<Void>

        init(closed: EventLoopPromise<Void>) { self.closed = closed }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var chunk = unwrapInboundIn(data)
            received.writeBuffer(&chunk)
            let ready = waiters.filter { $0.condition(received) }
            waiters.removeAll { waiter in ready.contains { $0.promise.futureResult === waiter.promise.futureResult } }
            ready.forEach { $0.promise.succeed(received) }
        }

        func channelInactive(context: ChannelHandlerContext) {
            closed.succeed(())
            waiters.forEach { $0.promise.fail(ChannelError.eof) }
            waiters = []
        }
    }

    let channel: Channel
    private let collector: Collector

    private init(channel: Channel, collector: Collector) {
        self.channel = channel
        self.collector = collector
    }

    static func connect(port: Int, group: EventLoopGroup, tls: NIOSSLContext? = nil) async throws -> LoopbackClient {
        let eventLoop = group.next()
        let collector = Collector(closed: eventLoop.makePromise())
        do {
            let channel = try await ClientBootstrap(group: eventLoop)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls {
                            try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: "localhost"))
                        }
                        try channel.pipeline.syncOperations.addHandler(collector)
                    }
                }
                .connect(host: "127.0.0.1", port: port).get()
            return LoopbackClient(channel: channel, collector: collector)
        } catch {
            collector.closed.fail(error)
            throw error
        }
    }

    func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
    }

    func send(_ text: String) async throws {
        try await send(Array(text.utf8))
    }

    /// Everything received so far once `condition` holds; fails after `timeout` or at EOF.
    func received(
        within timeout: TimeAmount = .seconds(5), until condition: @escaping (ByteBuffer) -> Bool
    ) async throws -> ByteBuffer {
        let future = channel.eventLoop.flatSubmit { () -> EventLoopFuture<ByteBuffer> in
            if condition(self.collector.received) { return self.channel.eventLoop.makeSucceededFuture(self.collector.received) }
            let promise = self.channel.eventLoop.makePromise(of: ByteBuffer.self)
            self.collector.waiters.append((condition, promise))
            self.channel.eventLoop.scheduleTask(in: timeout) { promise.fail(ChannelError.connectTimeout(timeout)) }
            if !self.channel.isActive { promise.fail(ChannelError.eof) }
            return promise.futureResult
        }
        return try await future.get()
    }

    /// The text received once it contains `marker`.
    func text(containing marker: String) async throws -> String {
        let buffer = try await received { String(buffer: $0).contains(marker) }
        return String(buffer: buffer)
    }

    /// Waits until the server closed the connection.
    func waitUntilClosed(within timeout: TimeAmount = .seconds(5)) async throws {
        let closed = collector.closed.futureResult
        let deadline = channel.eventLoop.scheduleTask(in: timeout) {}
        defer { deadline.cancel() }
        let timedOut = channel.eventLoop.makePromise(of: Void.self)
        deadline.futureResult.whenSuccess { timedOut.fail(ChannelError.connectTimeout(timeout)) }
        closed.cascade(to: timedOut)
        try await timedOut.futureResult.get()
    }

    func close() async {
        try? await channel.close()
    }
}
