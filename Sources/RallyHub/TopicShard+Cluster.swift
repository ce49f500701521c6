import NIOCore
import RallyBus
import RallyProtocol

/// The shard's side of the bus: a topic new on this node subscribes on the bus before its first join is answered,
/// and what other nodes published is fanned out here like a local publish. All on the shard's loop.
extension TopicShard {
    /// Subscribes the topic on the bus, then merges the other nodes' presence of it.
    func joinBus(_ topic: String, state: TopicState, link: ClusterLink) -> EventLoopFuture<Void> {
        link.broker.subscribe(.topic(topic)).hop(to: eventLoop).flatMap { [self] in
            link.fetchPresence(of: topic, into: state, shard: self)
        }
    }

    var topicNames: [String] { eventLoop.assertInEventLoop(); return Array(topicsByName.keys) }

    /// A broadcast or presence change from another node (already origin-filtered).
    func receive(_ message: BusMessage, from link: ClusterLink) {
        eventLoop.assertInEventLoop()
        guard let state = state(of: message.topic) else { return }
        if message.origin != 0 {
            switch state.ledger.admit(origin: message.origin, sequence: message.sequence, previous: message.previous) {
            case .duplicate:
                link.metrics.dropped("duplicate").increment()
                return
            case .afterGap:
                link.metrics.gaps.increment()
                tellGap(message.topic, state: state)
                if message.kind == .presenceDiff { link.loop.execute { link.resyncPresence(from: [message.origin]) } }
            case .fresh:
                break
            }
        }
        switch message.kind {
        case .broadcast:
            guard state.count > 0 else { return }
            let audience = link.audience(for: message.topic)(message.senderUser)
            dispatch(FanoutMessage.broadcast(message.envelope, senderID: 0, audience: audience,
                                             versions: state.versions), to: state)
        case .presenceDiff:
            guard let change = PresenceChange(json: message.json) else {
                link.metrics.dropped("malformed").increment()
                return
            }
            applyRemote(change, topic: message.topic, origin: message.origin, sequence: message.sequence, state: state,
                        link: link)
        default:
            break
        }
    }

    private func applyRemote(_ change: PresenceChange, topic: String, origin: UInt64, sequence: UInt64,
                             state: TopicState, link: ClusterLink) {
        let diffs = state.presence.apply(change, node: origin, audience: link.audience(for: topic))
        if state.presenceSync != nil {
            state.presenceSync?.append(PresenceSyncDiff(origin: origin, sequence: sequence, change: change))
            return
        }
        for diff in diffs { fanOutPresence(diff, topic: topic, state: state) }
    }

    /// `{"t": topic, "s": last sequence of this node on it, "j": this node's entries}` for another node's fetch.
    func localPresenceSnapshot(of topic: String) -> JSON {
        let state = state(of: topic)
        let entries = PresenceChange(joins: state?.presence.localJoins ?? []).json
        return .object(["t": .string(topic), "s": .string(String(state?.lastSentSequence ?? 0)),
                        "j": entries["j"] ?? .array([])])
    }

    /// Makes the origin's entries what its snapshot says, then re-applies what it changed after the snapshot.
    func applySnapshot(_ snapshot: JSON, of topic: String, from origin: UInt64, link: ClusterLink) {
        guard let state = state(of: topic),
              let joins = PresenceChange(json: .object(["j": snapshot["j"] ?? .array([]), "l": .array([])]))?.joins
        else { return }
        let asOf = snapshot["s"]?.stringValue.flatMap { UInt64($0) } ?? 0
        let audience = link.audience(for: topic)
        let diffs = state.presence.replace(node: origin, with: joins, audience: audience)
        guard let buffered = state.presenceSync else {
            for diff in diffs { fanOutPresence(diff, topic: topic, state: state) }
            return
        }
        for later in buffered where later.origin == origin && later.sequence > asOf {
            _ = state.presence.apply(later.change, node: origin, audience: audience)
        }
    }

    /// The fetch is over: later changes are fanned out as they come.
    func endPresenceSync(of topic: String) {
        state(of: topic)?.presenceSync = nil
    }

    /// A node is gone: its presence leaves every topic, and its sequence numbers are forgotten.
    func dropNode(_ node: UInt64) {
        eventLoop.assertInEventLoop()
        for (topic, state) in topicsByName {
            state.ledger.forget(node)
            for diff in state.presence.removeAll(of: node) { fanOutPresence(diff, topic: topic, state: state) }
        }
    }

    /// The bus was lost for a while: every topic's subscribers hear that broadcasts may be missing.
    func busGap(link: ClusterLink) {
        eventLoop.assertInEventLoop()
        for (topic, state) in topicsByName {
            state.ledger = BusLedger()
            tellGap(topic, state: state)
        }
    }

    /// A `system` message (documented in README "Running several nodes"): broadcasts from other nodes may have
    /// been lost; presence and the live data heal by themselves.
    private func tellGap(_ topic: String, state: TopicState) {
        guard state.count > 0 else { return }
        let payload = Replies.system(ok: true, message: ClusterLink.gapMessage,
                                     channel: String(topic.dropFirst(TopicName.prefix.count)))
        dispatch(FanoutMessage.push(kind: .broadcast, topic: topic, event: "system", payload: payload,
                                    versions: state.versions), to: state)
    }
}

extension ClusterLink {
    static let gapMessage = "RALLY_BUS_GAP: the bus between nodes was interrupted; broadcasts may have been missed"
}
