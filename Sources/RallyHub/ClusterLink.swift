import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import RallyBus
import RallyProtocol
import Synchronization

/// The hub's side of the bus: stamps and publishes what other nodes must see (client and REST broadcasts, presence
/// changes), hands what they published to the topics' shards, and keeps track of which nodes are alive.
///
/// Thread ownership: `membership`, `syncs`, `nextRequest` and `isShutDown` are touched only on `loop`; the shards
/// are reached through their own loops; the sequence counter is atomic (stamped on the topic's shard loop, so the
/// messages of one topic are numbered in the order they are published).
final class ClusterLink: BusReceiver, @unchecked Sendable {
    let broker: any Broker
    let loop: EventLoop
    let settings: ClusterSettings
    let metrics = BusMetrics()
    let logger: Logger
    var nodeID: UInt64 { broker.nodeID }
    /// Set once by the hub before the link is started.
    var shards: [TopicShard] = []
    var shardForTopic: (String) -> TopicShard = { _ in preconditionFailure("no shards") }

    private let sequence = Atomic<UInt64>(0)
    /// Who may see what another node's user sent on a topic here (blocks in groups and plans); set once by
    /// `HubServices`, which knows the node's feeds.
    private let remoteAudience = NIOLockedValueBox<(@Sendable (_ sender: String?, _ topic: String) -> Audience?)?>(nil)
    /// Random per process: a heartbeat naming this node's id but another incarnation means two nodes were given
    /// the same `RALLY_NODE_ID`.
    let incarnation = String(UInt64.random(in: 1...UInt64.max), radix: 16)
    private var conflictLog = Throttle(interval: .seconds(10))
    private var malformedLog = Throttle()
    /// The largest payload a backend service may publish (the node's broadcast payload limit).
    var maxServicePayloadBytes = HubLimits().maxBroadcastPayloadBytes
    /// When this node's own heartbeat last came back from the bus (uptime nanoseconds): the probe that the
    /// subscriber connection still delivers.
    let lastOwnEcho = Atomic<UInt64>(NIODeadline.now().uptimeNanoseconds)
    /// Uptime nanoseconds since the bus has been down (from the start until first connected); 0 while it is up.
    private let downSince = Atomic<UInt64>(NIODeadline.now().uptimeNanoseconds)
    // MARK: on `loop` only
    var membership: NodeMembership
    var syncs: [UInt64: PendingPresenceSync] = [:]
    var nextRequest: UInt64 = 1
    private var heartbeat: RepeatedTask?
    /// Set by `shutdown`: no new presence resync asks the shards' loops for anything (they may be stopping too, and
    /// a task submitted to a stopped loop leaves its promise unfulfilled).
    var isShutDown = false

    init(broker: any Broker, loop: EventLoop, settings: ClusterSettings, logger: Logger) {
        self.broker = broker
        self.loop = loop
        self.settings = settings
        self.logger = logger
        self.membership = NodeMembership(timeout: settings.nodeTimeout)
    }

    /// Subscribes the node's own channels, announces the node and starts its heartbeat.
    func start() -> EventLoopFuture<Void> {
        metrics.up.record(0)
        return broker.start(receiver: self).hop(to: loop).map { [self] in
            downSince.store(0, ordering: .relaxed)
            metrics.up.record(1)
            sendHeartbeat()
            heartbeat = loop.scheduleRepeatedTask(initialDelay: settings.heartbeatInterval,
                                                  delay: settings.heartbeatInterval) { [self] _ in
                sendHeartbeat()
                expireSilentNodes()
                reconnectIfStalled()
            }
        }
    }

    /// Says goodbye (the others drop this node's presence at once) and closes the broker.
    func shutdown() -> EventLoopFuture<Void> {
        loop.flatSubmit { [self] in
            isShutDown = true
            heartbeat?.cancel()
            heartbeat = nil
            endPendingPresenceSyncs()
            publish(BusMessage(kind: .nodeLeaving, topic: ""), to: .control)
            return broker.shutdown()
        }
    }

    func setRemoteAudience(_ audience: @escaping @Sendable (_ sender: String?, _ topic: String) -> Audience?) {
        remoteAudience.withLockedValue { $0 = audience }
    }

    /// The audience of what a sender of another node sends on `topic` (nil: everyone).
    func audience(for topic: String) -> (String?) -> Audience? {
        let decide = remoteAudience.withLockedValue { $0 }
        return { sender in decide?(sender, topic) }
    }

    // MARK: publishing

    /// Stamps `message` with this node's id, the next sequence number and the topic's previous one, and publishes
    /// it on the topic's channel. Runs on the topic's shard loop.
    func publish(_ message: BusMessage, state: TopicState?) -> UInt64 {
        var message = message
        message.sequence = sequence.wrappingAdd(1, ordering: .relaxed).newValue
        message.previous = state?.lastSentSequence ?? 0
        state?.lastSentSequence = message.sequence
        publish(message, to: .topic(message.topic))
        return message.sequence
    }

    /// Publishes a message as it is (control and node channels carry no per-topic order).
    func publish(_ message: BusMessage, to channel: BusChannel) {
        var message = message
        message.origin = nodeID
        if message.sequence == 0 { message.sequence = sequence.wrappingAdd(1, ordering: .relaxed).newValue }
        message.sentAtMicros = UInt64(Date().timeIntervalSince1970 * 1_000_000)
        broker.publish(message.encode(), to: channel)
        metrics.published.increment()
    }

    // MARK: BusReceiver (on the broker's loop)

    func bus(received bytes: ByteBuffer, on channel: BusChannel) {
        metrics.received.increment()
        guard let message = decode(bytes, on: channel) else { return }
        if message.origin == nodeID {
            metrics.dropped("echo").increment()
            if message.kind == .heartbeat {
                if message.event == incarnation {
                    lastOwnEcho.store(NIODeadline.now().uptimeNanoseconds, ordering: .relaxed)
                } else {
                    reportIDConflict()
                }
            }
            return
        }
        if message.sentAtMicros > 0 { recordLag(since: message.sentAtMicros) }
        switch message.kind {
        case .broadcast, .presenceDiff:
            let shard = shardForTopic(message.topic)
            shard.run { shard.receive(message, from: self) }
        case .heartbeat, .nodeLeaving, .presenceRequest, .presenceReply:
            loop.execute { self.receiveControl(message) }
        }
    }

    /// How long the bus has been down; nil while it is up.
    var downFor: TimeAmount? {
        let since = downSince.load(ordering: .relaxed)
        guard since != 0 else { return nil }
        return .nanoseconds(Int64(NIODeadline.now().uptimeNanoseconds - since))
    }

    func busDisconnected() {
        downSince.store(NIODeadline.now().uptimeNanoseconds, ordering: .relaxed)
        metrics.up.record(0)
        logger.warning("bus disconnected: broadcasts and presence from other nodes stop until it is back")
    }

    func busReconnected() {
        downSince.store(0, ordering: .relaxed)
        metrics.up.record(1)
        metrics.reconnects.increment()
        logger.notice("bus reconnected: telling subscribers of the gap and fetching presence again")
        loop.execute { [self] in
            sendHeartbeat()
            for shard in shards { shard.run { shard.busGap(link: self) } }
            resyncPresence(from: membership.alive)
        }
    }

    private func decode(_ bytes: ByteBuffer, on channel: BusChannel) -> BusMessage? {
        do {
            if channel == .ingress || ServiceMessage.isJSONForm(bytes) {
                return try ServiceMessage.parse(bytes, maxPayloadBytes: maxServicePayloadBytes)
            }
            return try BusMessage.decode(bytes)
        } catch {
            metrics.dropped("malformed").increment()
            logMalformed(error, on: channel)
            return nil
        }
    }

    /// At most one log line a second for malformed messages (a flood must not become a log flood).
    private func logMalformed(_ error: any Error, on channel: BusChannel) {
        guard malformedLog.allow() else { return }
        logger.warning("malformed message on the bus dropped",
                       metadata: ["channel": "\(channel.name)", "error": "\(error)"])
    }

    /// The node's own heartbeats stopped coming back although the connection looks up: replace the connection.
    private func reconnectIfStalled() {
        let silent = NIODeadline.now().uptimeNanoseconds &- lastOwnEcho.load(ordering: .relaxed)
        guard broker.isConnected, Int64(silent) > settings.stallTimeout.nanoseconds else { return }
        metrics.stalls.increment()
        logger.warning("own heartbeats stopped coming back from the bus: reconnecting")
        lastOwnEcho.store(NIODeadline.now().uptimeNanoseconds, ordering: .relaxed)
        broker.reconnect()
    }

    private func reportIDConflict() {
        metrics.dropped("node_id_conflict").increment()
        guard conflictLog.allow() else { return }
        logger.error("another node on the bus uses this node's id: give every node its own RALLY_NODE_ID",
                     metadata: ["node": "\(String(nodeID, radix: 16))"])
    }

    private func recordLag(since micros: UInt64) {
        let now = UInt64(Date().timeIntervalSince1970 * 1_000_000)
        if now >= micros { metrics.lag.recordNanoseconds(Int64(now - micros) * 1000) }
    }
}
