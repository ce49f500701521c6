import NIOCore

/// The talking side of the chat members on one event loop: a 10 ms tick sends every member's due
/// messages. Confined to its event loop (hence `@unchecked Sendable`).
final class ChatTalker: @unchecked Sendable {
    private struct Speaker {
        var client: LoadClient
        var member: Int
        var seat: Int
        /// Spreads the members' first messages over the first interval instead of one burst.
        var phase: Double
        var sent = 0
    }

    let eventLoop: EventLoop
    /// Durable chat: `message` events whose replies are checked (see `DurableChat`).
    let durable: Bool
    private var speakers: [Speaker] = []
    private(set) var rejections = ChatRejections()

    init(eventLoop: EventLoop, durable: Bool = false) {
        self.eventLoop = eventLoop
        self.durable = durable
    }

    func add(client: LoadClient, member: Int, seat: Int) {
        eventLoop.preconditionInEventLoop()
        speakers.append(Speaker(client: client, member: member, seat: seat, phase: Double(seat % 97) / 97))
    }

    func sentBySeat() -> [Int: Int] {
        eventLoop.preconditionInEventLoop()
        return Dictionary(uniqueKeysWithValues: speakers.map { ($0.seat, $0.sent) })
    }

    /// Sends until every speaker sent `perMember` messages or `deadline` passed.
    func talk(rate: Double, perMember: Int, payloadSize: Int, deadline: UInt64) async {
        let done = eventLoop.makePromise(of: Void.self)
        let start = MonotonicClock.now()
        let task = eventLoop.scheduleRepeatedTask(initialDelay: .zero, delay: .milliseconds(10)) { [self] task in
            let now = MonotonicClock.now()
            if tick(now: now, elapsed: Double(now - start) / 1e9, rate: rate, perMember: perMember, size: payloadSize)
                || now >= deadline
            {
                task.cancel()
                done.succeed(())
            }
        }
        try? await done.futureResult.get()
        task.cancel()
    }

    /// Sends what is due; returns true when everyone is finished.
    private func tick(now: UInt64, elapsed: Double, rate: Double, perMember: Int, size: Int) -> Bool {
        var finished = true
        for index in speakers.indices {
            let due = min(perMember, Int(elapsed * rate + speakers[index].phase))
            while speakers[index].sent < due {
                let stamp = Stamp(seq: speakers[index].sent, sentAt: now, from: speakers[index].member)
                send(stamp, by: speakers[index].client, padTo: size)
                speakers[index].sent += 1
            }
            if speakers[index].sent < perMember { finished = false }
        }
        return finished
    }

    private func send(_ stamp: Stamp, by client: LoadClient, padTo size: Int) {
        guard durable else { return client.send(stamp, padTo: size) }
        client.sendChatMessage(stamp, padTo: size).whenComplete { [self] result in
            switch result {
            case .success(let reply?) where !reply.isOK: rejections.add(reply.reason ?? reply.status)
            case .success: break
            case .failure(let error): rejections.add(ConnectionPool.failureReason(error))
            }
        }
    }
}
