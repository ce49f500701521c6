import NIOCore
import RallyBus
import RallyProtocol

/// Heartbeats, nodes coming and going, and the presence requests and replies of the control and node channels.
/// Everything here runs on the link's loop.
extension ClusterLink {
    func receiveControl(_ message: BusMessage) {
        loop.assertInEventLoop()
        switch message.kind {
        case .heartbeat:
            if membership.heard(message.origin, at: .now()) { nodeJoined(message.origin) }
        case .nodeLeaving:
            if membership.leave(message.origin) { nodeDown(message.origin, reason: "left") }
        case .presenceRequest:
            answerPresenceRequest(message)
        case .presenceReply:
            receivePresenceReply(message)
        case .broadcast, .presenceDiff:
            break
        }
    }

    func sendHeartbeat() {
        publish(BusMessage(kind: .heartbeat, topic: "", event: incarnation), to: .control)
    }

    func expireSilentNodes() {
        for node in membership.expire(at: .now()) { nodeDown(node, reason: "silent") }
    }

    /// A node we did not know (a new one, or one back after a partition): it may hold presence on our topics, and
    /// it learns of us by our direct heartbeat rather than waiting for the next interval.
    private func nodeJoined(_ node: UInt64) {
        metrics.nodes.record(membership.alive.count)
        logger.info("node joined", metadata: ["node": "\(String(node, radix: 16))"])
        publish(BusMessage(kind: .heartbeat, topic: "", event: incarnation), to: .node(node))
        resyncPresence(from: [node])
    }

    /// Its presence leaves on every topic, and no join waits for it any longer.
    func nodeDown(_ node: UInt64, reason: String) {
        metrics.nodes.record(membership.alive.count)
        metrics.nodesDown.increment()
        logger.notice("node down", metadata: ["node": "\(String(node, radix: 16))", "reason": "\(reason)"])
        for shard in shards { shard.run { shard.dropNode(node) } }
        for request in Array(syncs.keys) { answered(request, by: node) }
    }

    // MARK: presence of a topic across nodes

    /// Fetches the other nodes' presence of `topic` into its state; succeeds when every live node answered or the
    /// sync timeout passed (then with what arrived). Called on the topic's shard loop for a topic new on this node.
    func fetchPresence(of topic: String, into state: TopicState, shard: TopicShard) -> EventLoopFuture<Void> {
        state.presenceSync = []
        let fetched = loop.flatSubmit { [self] in request(topics: [topic], from: membership.alive) }
        return fetched.hop(to: shard.eventLoop).map { shard.endPresenceSync(of: topic) }
    }

    /// Asks `nodes` for their presence of every topic this node holds (after a reconnect, or of a node that just
    /// joined); what differs comes to subscribers as `presence_diff`.
    func resyncPresence(from nodes: Set<UInt64>) {
        guard !nodes.isEmpty, !isShutDown else { return }
        let topics = shards.map { shard in shard.eventLoop.submit { shard.topicNames } }
        EventLoopFuture.whenAllSucceed(topics, on: loop).whenSuccess { [self] lists in
            let all = lists.flatMap { $0 }
            for start in stride(from: 0, to: all.count, by: settings.topicsPerPresenceRequest) {
                let batch = Array(all[start..<min(all.count, start + settings.topicsPerPresenceRequest)])
                _ = request(topics: batch, from: nodes)
            }
        }
    }

    /// Publishes one request on the control channel and waits (bounded) for `nodes` to answer.
    private func request(topics: [String], from nodes: Set<UInt64>) -> EventLoopFuture<Void> {
        loop.assertInEventLoop()
        let waiting = nodes.subtracting([nodeID])
        guard !waiting.isEmpty, !isShutDown else { return loop.makeSucceededVoidFuture() }
        let id = nextRequest
        nextRequest += 1
        let promise = loop.makePromise(of: Void.self)
        let timeout = loop.scheduleTask(in: settings.presenceSyncTimeout) { [self] in
            guard let pending = syncs.removeValue(forKey: id) else { return }
            logger.warning("presence fetch timed out", metadata: ["missing": "\(pending.waiting.count)"])
            pending.promise.succeed(())
        }
        syncs[id] = PendingPresenceSync(waiting: waiting, promise: promise, timeout: timeout)
        let body: JSON = .object(["req": .string(String(id)), "topics": .array(topics.map { .string($0) })])
        publish(BusMessage(kind: .presenceRequest, topic: "", payload: .json(body)), to: .control)
        return promise.futureResult
    }

    /// At shutdown, joins still waiting for other nodes' presence go on without it (their timeouts would never run
    /// once the loop stops, and a promise left unfulfilled is a leak).
    func endPendingPresenceSyncs() {
        let pending = syncs.values
        syncs = [:]
        for sync in pending {
            sync.timeout.cancel()
            sync.promise.succeed(())
        }
    }

    func answered(_ request: UInt64, by node: UInt64) {
        guard var pending = syncs[request] else { return }
        pending.waiting.remove(node)
        guard pending.waiting.isEmpty else { syncs[request] = pending; return }
        syncs[request] = nil
        pending.timeout.cancel()
        pending.promise.succeed(())
    }

    /// Every node answers every request (an empty list too), so the requester knows when it has heard from all.
    private func answerPresenceRequest(_ message: BusMessage) {
        guard let id = message.json["req"]?.stringValue, let topics = message.json["topics"]?.arrayValue else {
            metrics.dropped("malformed").increment()
            return
        }
        // A peer asks for at most one batch: more is not what a node sends, and is not answered.
        let snapshots = topics.prefix(settings.topicsPerPresenceRequest).compactMap(\.stringValue).map { topic in
            let shard = shardForTopic(topic)
            return shard.eventLoop.submit { shard.localPresenceSnapshot(of: topic) }
        }
        EventLoopFuture.whenAllSucceed(snapshots, on: loop).whenSuccess { [self] found in
            let body: JSON = .object(["req": .string(id), "topics": .array(found.compactMap { $0 })])
            publish(BusMessage(kind: .presenceReply, topic: "", payload: .json(body)), to: .node(message.origin))
        }
    }

    private func receivePresenceReply(_ message: BusMessage) {
        guard let id = message.json["req"]?.stringValue.flatMap({ UInt64($0) }),
              let topics = message.json["topics"]?.arrayValue else {
            metrics.dropped("malformed").increment()
            return
        }
        let applied = topics.compactMap { snapshot -> EventLoopFuture<Void>? in
            guard let topic = snapshot["t"]?.stringValue else { return nil }
            let shard = shardForTopic(topic)
            return shard.eventLoop.submit { shard.applySnapshot(snapshot, of: topic, from: message.origin, link: self) }
        }
        EventLoopFuture.andAllComplete(applied, on: loop).whenComplete { [self] _ in
            answered(id, by: message.origin)
        }
    }
}

/// A presence request waiting for the nodes that have not answered yet.
struct PendingPresenceSync {
    var waiting: Set<UInt64>
    let promise: EventLoopPromise<Void>
    let timeout: Scheduled<Void>
}
