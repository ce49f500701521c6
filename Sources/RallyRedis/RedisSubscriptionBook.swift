import Logging
import NIOCore

/// What the subscriber's bookkeeping asks its owner to do or to report.
enum RedisSubscriptionOutcome {
    case message(channel: String, payload: ByteBuffer)
    case unsolicitedUnsubscribe(String)
    case pong
    case allConfirmed
    case protocolViolation(String)
}

/// The subscriber's state on one event loop: the desired channel set (the source of truth), the channels Redis
/// confirmed on the current connection, the (un)subscribe commands sent and not yet fully answered (in order),
/// and the callers waiting for confirmations.
///
/// RESP2 answers a (un)subscribe with one reply per channel, in argument order, and a refused command with one
/// error reply; PING in subscribe mode gets `pong`. So replies are matched to the oldest sent command; an
/// `unsubscribe` that matches none was pushed by Redis (a slot moved away in a cluster).
final class RedisSubscriptionBook {
    enum CommandKind { case subscribe, unsubscribe, ping }

    struct SentCommand {
        var kind: CommandKind
        var channels: [String]
        var answered = 0
    }

    /// A caller waiting for a set of channels to be answered.
    final class Waiter {
        private var remaining: Int
        private var done = false
        private let promise: EventLoopPromise<Void>

        init(remaining: Int, promise: EventLoopPromise<Void>) {
            self.remaining = remaining
            self.promise = promise
        }

        func answered() {
            remaining -= 1
            if remaining == 0 { complete(.success(())) }
        }

        func complete(_ result: Result<Void, any Error>) {
            guard !done else { return }
            done = true
            promise.completeWith(result)
        }
    }

    private(set) var desired = Set<String>()
    private(set) var confirmed = Set<String>()
    private var sent = CircularBuffer<SentCommand>()
    private var subscribeWaiters: [String: [Waiter]] = [:]
    private var unsubscribeWaiters: [String: [Waiter]] = [:]
    /// Set on each new connection; cleared (with `.allConfirmed`) once every desired channel is confirmed.
    private var awaitingAllConfirmed = false

    /// Adds channels to the desired set; returns those not desired before (to send).
    func addDesired(_ channels: [String]) -> [String] {
        channels.filter { desired.insert($0).inserted }
    }

    /// Removes channels from the desired set; returns those that were desired (to unsubscribe).
    func removeDesired(_ channels: [String]) -> [String] {
        channels.filter { channel in
            confirmed.remove(channel)
            return desired.remove(channel) != nil
        }
    }

    /// Registers a waiter for those `channels` that are desired and not confirmed yet; false if there are none.
    func waitForSubscribe(_ channels: [String], promise: EventLoopPromise<Void>) -> Bool {
        let waiting = channels.filter { desired.contains($0) && !confirmed.contains($0) }
        guard !waiting.isEmpty else { return false }
        let waiter = Waiter(remaining: waiting.count, promise: promise)
        for channel in waiting { subscribeWaiters[channel, default: []].append(waiter) }
        return true
    }

    /// A waiter for the unsubscribe replies of `channels` (all of them about to be sent).
    func waitForUnsubscribe(_ channels: [String], promise: EventLoopPromise<Void>) {
        let waiter = Waiter(remaining: channels.count, promise: promise)
        for channel in channels { unsubscribeWaiters[channel, default: []].append(waiter) }
    }

    func didSend(_ kind: CommandKind, channels: [String]) {
        sent.append(SentCommand(kind: kind, channels: channels))
    }

    /// A new connection: nothing is confirmed or in flight; every desired channel must be confirmed again.
    func connectionOpened() {
        confirmed.removeAll()
        sent.removeAll()
        awaitingAllConfirmed = true
    }

    /// The connection closed: subscribe waiters fail (their channels stay desired and are subscribed again on
    /// the next connection); unsubscribe waiters succeed (their channels are no longer desired, so no new
    /// connection will subscribe them).
    func connectionClosed() {
        confirmed.removeAll()
        sent.removeAll()
        awaitingAllConfirmed = false
        let subscribers = subscribeWaiters.values.joined()
        let unsubscribers = unsubscribeWaiters.values.joined()
        subscribeWaiters.removeAll()
        unsubscribeWaiters.removeAll()
        subscribers.forEach { $0.complete(.failure(RedisError.connectionLost)) }
        unsubscribers.forEach { $0.complete(.success(())) }
    }

    /// `.allConfirmed` if the connection was waiting for every desired channel and now has them.
    func checkAllConfirmed() -> RedisSubscriptionOutcome? {
        // confirmed ⊆ desired always holds, so equal counts mean equal sets.
        guard awaitingAllConfirmed, confirmed.count == desired.count else { return nil }
        awaitingAllConfirmed = false
        return .allConfirmed
    }

    /// Interprets one reply of the subscriber connection.
    func handle(_ reply: RESPValue) -> [RedisSubscriptionOutcome] {
        switch reply {
        case .array(let elements?) where elements.count >= 2:
            return handlePush(kind: elements[0].string ?? "", elements: elements)
        case .simpleString(let text) where text.uppercased() == "PONG":
            return answerPing()
        case .error(let message):
            return handleError(message)
        default:
            return [.protocolViolation("unexpected reply on the subscriber connection: \(reply)")]
        }
    }

    private func handlePush(kind: String, elements: [RESPValue]) -> [RedisSubscriptionOutcome] {
        switch kind {
        case "message", "smessage":
            guard elements.count == 3, let channel = elements[1].string, let payload = elements[2].bytes else {
                return [.protocolViolation("malformed \(kind)")]
            }
            return [.message(channel: channel, payload: payload)]
        case "subscribe", "ssubscribe":
            guard let channel = elements[1].string else { return [.protocolViolation("malformed \(kind)")] }
            return confirmSubscribe(channel)
        case "unsubscribe", "sunsubscribe":
            guard let channel = elements[1].string else { return [] }  // UNSUBSCRIBE with nothing subscribed
            return confirmUnsubscribe(channel)
        case "pong":
            return answerPing()
        default:
            return []  // pmessage and psubscribe: never asked for
        }
    }

    private func confirmSubscribe(_ channel: String) -> [RedisSubscriptionOutcome] {
        guard advanceHead(.subscribe, channel: channel) else {
            return [.protocolViolation("unexpected subscribe confirmation for \(channel)")]
        }
        // A channel unsubscribed meanwhile is not confirmed (its unsubscribe reply follows), but its waiters
        // are answered: the subscribe they asked for did happen.
        if desired.contains(channel) { confirmed.insert(channel) }
        answer(&subscribeWaiters, channel: channel)
        return checkAllConfirmed().map { [$0] } ?? []
    }

    private func confirmUnsubscribe(_ channel: String) -> [RedisSubscriptionOutcome] {
        guard advanceHead(.unsubscribe, channel: channel) else {
            // Not asked for: Redis dropped the channel (a cluster slot moved). It leaves the desired set; the
            // owner decides where to subscribe it again.
            confirmed.remove(channel)
            desired.remove(channel)
            fail(&subscribeWaiters, channel: channel, error: RedisError.errorReply("unsubscribed by the server"))
            return [.unsolicitedUnsubscribe(channel)]
        }
        if !desired.contains(channel) { confirmed.remove(channel) }
        answer(&unsubscribeWaiters, channel: channel)
        return []
    }

    private func answerPing() -> [RedisSubscriptionOutcome] {
        guard sent.first?.kind == .ping else { return [.protocolViolation("unexpected pong")] }
        sent.removeFirst()
        return [.pong]
    }

    /// A refused command: its channels that were still waiting are dropped from the desired set.
    private func handleError(_ message: String) -> [RedisSubscriptionOutcome] {
        guard let head = sent.popFirst() else { return [.protocolViolation("unexpected error: \(message)")] }
        let unanswered = head.channels.dropFirst(head.answered)
        switch head.kind {
        case .ping:
            return [.pong]  // an answer all the same: the connection is alive
        case .subscribe:
            for channel in unanswered {
                desired.remove(channel)
                fail(&subscribeWaiters, channel: channel, error: RedisError.errorReply(message))
            }
        case .unsubscribe:
            for channel in unanswered {
                fail(&unsubscribeWaiters, channel: channel, error: RedisError.errorReply(message))
            }
        }
        return checkAllConfirmed().map { [$0] } ?? []
    }

    /// True if `channel` is the next expected answer of the oldest command, which is of `kind`.
    private func advanceHead(_ kind: CommandKind, channel: String) -> Bool {
        guard var head = sent.first, head.kind == kind, head.answered < head.channels.count,
              head.channels[head.answered] == channel else { return false }
        head.answered += 1
        if head.answered == head.channels.count {
            sent.removeFirst()
        } else {
            sent[sent.startIndex] = head
        }
        return true
    }

    private func answer(_ waiters: inout [String: [Waiter]], channel: String) {
        guard let list = waiters.removeValue(forKey: channel) else { return }
        list.forEach { $0.answered() }
    }

    private func fail(_ waiters: inout [String: [Waiter]], channel: String, error: RedisError) {
        guard let list = waiters.removeValue(forKey: channel) else { return }
        list.forEach { $0.complete(.failure(error)) }
    }
}

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
