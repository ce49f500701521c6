import NIOCore
import RallyClient
import RallyProtocol

/// The soak's sockets on one event loop and the actions it takes on them: a 10 ms tick starts the actions that are
/// due (each kind at its rate, round robin over the sockets, one action at a time per socket). Confined to its
/// event loop (every callback of its connections runs there), hence `@unchecked Sendable`.
final class SoakLoop: @unchecked Sendable {
    enum Kind: Int, CaseIterable {
        case broadcast, presence, rejoin, reconnect
    }

    /// Rates are this loop's share, in actions per second.
    struct Plan: Sendable {
        var rates: [Kind: Double]
        /// Every n-th reconnect cuts the TCP connection instead of closing politely (0: never).
        var abortEvery: Int
        var payloadSize: Int
        var topics: Int
        var topicPrefix: String
    }

    private struct Slot {
        let index: Int
        var connection: RealtimeConnection?
        var topic: Int
        var joined = false
        var tracked = false
        /// An action (or a connect) is in progress on this socket.
        var busy = false
        /// Closed on purpose: its close is no error.
        var closing = false
        /// A topic being left: its `phx_close` is expected.
        var leaving: String?
        var generation = 0
    }

    let eventLoop: EventLoop
    private let target: ClientTarget
    private let version: ProtocolVersion
    private let plan: Plan
    private var slots: [Slot]
    private var counts = SoakCounts()
    private var latency = makeLatencyHistogram()
    private var cursors = [Int](repeating: 0, count: Kind.allCases.count)
    private var started = [Int](repeating: 0, count: Kind.allCases.count)
    private var sequence = 0
    private static let maxPerTick = 1_000

    /// `indices` are the global socket numbers of this loop (the source address and topic follow from them).
    init(eventLoop: EventLoop, target: ClientTarget, plan: Plan, indices: [Int]) throws {
        guard let version = target.mode.protocolVersion else { throw LoadTestError("soak needs a Rally mode") }
        self.eventLoop = eventLoop
        self.target = target
        self.version = version
        self.plan = plan
        slots = indices.map { Slot(index: $0, topic: $0 % max(1, plan.topics)) }
    }

    var socketCount: Int { slots.count }

    private func topicName(_ topic: Int) -> String { "realtime:\(plan.topicPrefix)-\(topic)" }

    // MARK: Connecting

    /// Opens socket `local` (connect, then join its topic with presence on); from any thread.
    func open(_ local: Int) -> EventLoopFuture<LoadClient> {
        eventLoop.flatSubmit { [self] in
            guard !slots[local].busy else { return eventLoop.makeFailedFuture(LoadTestError("socket busy")) }
            slots[local].busy = true
            return connect(local).always { [self] _ in slots[local].busy = false }
        }
    }

    /// `future`, or a failure after `seconds` if it has not completed by then (nothing here waits unbounded).
    private func bounded<T: Sendable>(_ future: EventLoopFuture<T>, seconds: Int64, what: String) -> EventLoopFuture<T> {
        let promise = eventLoop.makePromise(of: T.self)
        var finished = false
        let timer = eventLoop.scheduleTask(in: .seconds(seconds)) {
            guard !finished else { return }
            finished = true
            promise.fail(LoadTestError("timeout: \(what)"))
        }
        future.hop(to: eventLoop).whenComplete { result in
            guard !finished else { return }
            finished = true
            timer.cancel()
            promise.completeWith(result)
        }
        return promise.futureResult
    }

    private func connect(_ local: Int) -> EventLoopFuture<LoadClient> {
        eventLoop.preconditionInEventLoop()
        slots[local].generation += 1
        slots[local].closing = false
        let generation = slots[local].generation
        var options = RealtimeOptions()
        options.webSocket = target.webSocket
        options.webSocket.localAddress = target.sources.address(for: slots[local].index)
        options.heartbeatInterval = target.heartbeat
        options.frameFilter = { [self] message in receive(message) }
        let url: WebSocketURL
        do { url = try target.url(topic: "") } catch { return eventLoop.makeFailedFuture(error) }
        counts.framesSent += 1
        let connected = RealtimeConnection.connect(
            to: url, version: version, apiKey: target.token, options: options,
            inbound: .callback({ [self] event in handle(event, local: local, generation: generation) }), on: eventLoop
        ).flatMap { [self] connection in
            slots[local].connection = connection
            slots[local].joined = false
            slots[local].tracked = false
            connection.closeFuture.whenComplete { [self] result in
                closed(local, generation: generation, info: try? result.get())
            }
            return join(local, connection: connection, topic: slots[local].topic).map {
                LoadClient(transport: .rally(connection, topic: self.topicName(self.slots[local].topic)))
            }
        }
        return bounded(connected, seconds: 30, what: "connect and join")
    }

    private func join(_ local: Int, connection: RealtimeConnection, topic: Int) -> EventLoopFuture<Void> {
        counts.framesSent += 1
        let options = JoinOptions(presenceEnabled: true, presenceKey: "s\(slots[local].index)")
        return connection.join(topicName(topic), options: options).flatMapThrowing { [self] reply in
            guard reply.isOK else { throw LoadTestError("join refused: \(reply.reason ?? reply.status)") }
            slots[local].topic = topic
            slots[local].joined = true
            slots[local].tracked = false
        }
    }

    private func closed(_ local: Int, generation: Int, info: WebSocketCloseInfo?) {
        guard slots[local].generation == generation else { return }
        if !slots[local].closing {
            counts.error("socket closed by the server (\(info.map { "\($0)" } ?? "abrupt"))")
        }
        slots[local].connection = nil
        slots[local].joined = false
        slots[local].tracked = false
    }

    // MARK: Receiving

    /// Every inbound frame passes here first; stamped broadcasts are counted and timed and go no further.
    private func receive(_ message: WebSocketClientMessage) -> Bool {
        counts.framesReceived += 1
        guard let stamp = PayloadScanner.stamp(in: message.data) else { return false }
        counts.broadcastsReceived += 1
        let now = MonotonicClock.now()
        _ = latency.record(min(now > stamp.sentAt ? (now - stamp.sentAt) / 1000 : 0, 3_600_000_000))
        return true
    }

    private func handle(_ event: ServerEvent, local: Int, generation: Int) {
        switch event.event {
        case "presence_diff":
            counts.presenceDiffsReceived += 1
        case "presence_state":
            counts.presenceStatesReceived += 1
        case "phx_reply" where event.replyStatus != "ok":
            counts.error("error reply: \(event.replyResponse?["reason"]?.stringValue ?? event.replyStatus ?? "?")")
        case "system" where event.payload["status"]?.stringValue == "error":
            counts.error("system: \(event.payload["message"]?.stringValue ?? "?")")
        case "phx_close", "phx_error":
            guard slots[local].generation == generation else { return }
            if event.event == "phx_close", slots[local].leaving == event.topic {
                slots[local].leaving = nil
            } else if event.topic == topicName(slots[local].topic), slots[local].joined {
                counts.error("\(event.event) from the server")
                slots[local].joined = false
                slots[local].tracked = false
            }
        default:
            break
        }
    }

    // MARK: Acting

    /// Acts until `deadline` (monotonic ns): each kind at its rate from now on.
    func act(until deadline: UInt64) async {
        let done = eventLoop.makePromise(of: Void.self)
        let start = MonotonicClock.now()
        let task = eventLoop.scheduleRepeatedTask(initialDelay: .zero, delay: .milliseconds(10)) { [self] task in
            let now = MonotonicClock.now()
            if now >= deadline {
                task.cancel()
                done.succeed(())
                return
            }
            tick(elapsed: Double(now - start) / 1e9)
        }
        try? await done.futureResult.get()
        task.cancel()
        await resetSchedule()
    }

    private func resetSchedule() async {
        try? await eventLoop.submit { [self] in started = started.map { _ in 0 } }.get()
    }

    private func tick(elapsed: Double) {
        for kind in Kind.allCases {
            let due = Int(elapsed * (plan.rates[kind] ?? 0)) - started[kind.rawValue]
            guard due > 0 else { continue }
            for _ in 0..<min(due, Self.maxPerTick) { perform(kind) }
            if due > Self.maxPerTick { counts.skipped += due - Self.maxPerTick }
            started[kind.rawValue] += due
        }
    }

    /// The next socket in `kind`'s round robin that can take the action.
    private func pick(_ kind: Kind, _ usable: (Slot) -> Bool) -> Int? {
        guard !slots.isEmpty else { return nil }
        for _ in 0..<slots.count {
            let local = cursors[kind.rawValue] % slots.count
            cursors[kind.rawValue] += 1
            if usable(slots[local]) { return local }
        }
        return nil
    }

    private func perform(_ kind: Kind) {
        switch kind {
        case .broadcast:
            guard let local = pick(kind, { !$0.busy && $0.joined && $0.connection != nil }) else { return counts.skipped += 1 }
            broadcast(local)
        case .presence:
            guard let local = pick(kind, { !$0.busy && $0.joined && $0.connection != nil }) else { return counts.skipped += 1 }
            togglePresence(local)
        case .rejoin:
            guard let local = pick(kind, { !$0.busy && $0.connection != nil }) else { return counts.skipped += 1 }
            rejoin(local)
        case .reconnect:
            guard let local = pick(kind, { !$0.busy }) else { return counts.skipped += 1 }
            reconnect(local)
        }
    }

    private func broadcast(_ local: Int) {
        guard let connection = slots[local].connection else { return }
        sequence += 1
        let stamp = Stamp(seq: sequence, sentAt: MonotonicClock.now(), from: slots[local].index)
        _ = connection.sendBroadcast(
            topic: topicName(slots[local].topic), event: "soak", payload: .json(stamp.jsonValue(padTo: plan.payloadSize)))
        counts.broadcastsSent += 1
        counts.framesSent += 1
    }

    private func togglePresence(_ local: Int) {
        guard let connection = slots[local].connection else { return }
        let tracking = !slots[local].tracked
        let body: JSON = tracking
            ? .object([
                "type": .string("presence"), "event": .string("track"),
                "payload": .object(["socket": .int(slots[local].index), "status": .string("soaking")]),
            ])
            : .object(["type": .string("presence"), "event": .string("untrack")])
        slots[local].busy = true
        counts.presenceCalls += 1
        counts.framesSent += 1
        connection.request(topic: topicName(slots[local].topic), event: "presence", payload: body).whenComplete { [self] result in
            slots[local].busy = false
            switch result {
            case .success(let reply) where reply.isOK:
                counts.presenceOK += 1
                slots[local].tracked = tracking
            case .success(let reply):
                counts.error("presence refused: \(reply.reason ?? reply.status)")
            case .failure(let error):
                counts.error("presence: \(ConnectionPool.failureReason(error))")
            }
        }
    }

    /// Leaves the socket's topic (when joined) and joins the next one.
    private func rejoin(_ local: Int) {
        guard let connection = slots[local].connection else { return }
        slots[local].busy = true
        counts.rejoins += 1
        let next = (slots[local].topic + 1) % max(1, plan.topics)
        let left: EventLoopFuture<Void>
        if slots[local].joined {
            let topic = topicName(slots[local].topic)
            slots[local].leaving = topic
            counts.framesSent += 1
            left = connection.request(topic: topic, event: "phx_leave", payload: .emptyObject).map { [self] _ in
                slots[local].joined = false
                slots[local].tracked = false
            }
        } else {
            left = eventLoop.makeSucceededVoidFuture()
        }
        left.flatMap { [self] in join(local, connection: connection, topic: next) }.whenComplete { [self] result in
            slots[local].busy = false
            switch result {
            case .success: counts.rejoinsOK += 1
            case .failure(let error): counts.error("rejoin: \(ConnectionPool.failureReason(error))")
            }
        }
    }

    /// Closes the socket (politely, or every `abortEvery`-th time by cutting TCP) and opens a new one.
    private func reconnect(_ local: Int) {
        slots[local].busy = true
        counts.reconnects += 1
        let gone = close(local, abort: plan.abortEvery > 0 && counts.reconnects % plan.abortEvery == 0)
        gone.flatMap { [self] in connect(local) }.whenComplete { [self] result in
            slots[local].busy = false
            switch result {
            case .success: counts.reconnectsOK += 1
            case .failure(let error): counts.error("reconnect: \(ConnectionPool.failureReason(error))")
            }
        }
    }

    /// Closes socket `local` on purpose; completes when TCP is gone (a polite close is cut after 3 s).
    private func close(_ local: Int, abort: Bool) -> EventLoopFuture<Void> {
        guard let connection = slots[local].connection else { return eventLoop.makeSucceededVoidFuture() }
        slots[local].closing = true
        let socket = connection.socket
        if abort {
            counts.reconnectsAborted += 1
            socket.abort()
        } else {
            counts.framesSent += 1
            socket.startClose()
        }
        let timer = eventLoop.scheduleTask(in: .seconds(3)) { socket.abort() }
        return socket.closeFuture.map { _ in timer.cancel() }
    }

    // MARK: Ending

    /// Sockets with an action in progress.
    func busyCount() async -> Int {
        (try? await eventLoop.submit { [self] in slots.filter(\.busy).count }.get()) ?? 0
    }

    /// Open sockets.
    func openCount() async -> Int {
        (try? await eventLoop.submit { [self] in slots.filter { $0.connection != nil }.count }.get()) ?? 0
    }

    /// Closes every socket politely (each cut after 3 s at the latest).
    func closeAll() async {
        let closing = try? await eventLoop.submit { [self] in
            bounded(EventLoopFuture.andAllComplete(slots.indices.map { close($0, abort: false) }, on: eventLoop),
                    seconds: 15, what: "closing")
        }.get()
        try? await closing?.get()
    }

    func results() async -> (SoakCounts, LatencyHistogram) {
        (try? await eventLoop.submit { [self] in (counts, latency) }.get()) ?? (SoakCounts(), makeLatencyHistogram())
    }
}
