import Logging
import NIOCore

/// The inbound end of a subscriber channel: hands every reply to its owner, closes on an error.
final class RedisSubscriberHandler: ChannelInboundHandler {
    typealias InboundIn = RESPValue

    private let onReply: (RESPValue) -> Void

    init(onReply: @escaping (RESPValue) -> Void) {
        self.onReply = onReply
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        onReply(unwrapInboundIn(data))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// Sends a PING every `interval` and closes the channel when one stays unanswered for `timeout`, so a
/// reconnect follows. Event loop only.
final class RedisLivenessProbe {
    private let channel: Channel
    private let timeout: TimeAmount
    private let logger: Logger
    private let ping: () -> Void
    private var repeating: RepeatedTask?
    private var deadline: Scheduled<Void>?

    init(channel: Channel, interval: TimeAmount, timeout: TimeAmount, logger: Logger, ping: @escaping () -> Void) {
        self.channel = channel
        self.timeout = timeout
        self.logger = logger
        self.ping = ping
        self.repeating = channel.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) {
            [weak self] _ in self?.probe()
        }
    }

    /// A PING was answered.
    func answered() {
        deadline?.cancel()
        deadline = nil
    }

    func stop() {
        repeating?.cancel()
        repeating = nil
        answered()
    }

    private func probe() {
        guard deadline == nil else { return }  // the previous PING is still within its timeout
        let channel = self.channel
        let logger = self.logger
        deadline = channel.eventLoop.scheduleTask(in: timeout) {
            logger.warning("redis subscriber: PING unanswered; closing the connection")
            channel.close(promise: nil)
        }
        ping()
    }
}
