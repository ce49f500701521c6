import NIOCore
import RallyAuth

/// Live revocation: when the facts behind the join rules change, the joined channels they touch are decided
/// again with the identity they hold, and the ones no longer allowed are closed (`system` error, `phx_close`).
extension ClientConnection {
    /// Re-authorizes every joined channel whose subtopic `affects` selects. Runs on this connection's loop; the
    /// future completes once every check has been acted on.
    /// `affects(subtopic, subject)`: whether a channel on `subtopic` held by the token subject `subject` is touched
    /// (nil: not known yet, any user; "": a token without `sub`).
    func revalidateChannels(where affects: @escaping @Sendable (String, String?) -> Bool) -> EventLoopFuture<Void> {
        eventLoop.assertInEventLoop()
        // A join still being authorized may have been decided on the facts before this change: its machine notes
        // it and decides again once acknowledged. Its user is not known yet (nil: any user). A joined channel
        // whose token has no `sub` is asked about as "" (nobody's id), not nil (unknown).
        var checks: [EventLoopFuture<Void>] = []
        for channel in registry.channels {
            let subject = channel.phase == .joining ? nil : Self.knownSubject(channel)
            guard affects(channel.subtopic, subject),
                  let (current, actions) = registry.step(topic: channel.topic, generation: channel.generation,
                                                         .accessMayHaveChanged) else { continue }
            for case .recheckAccess in actions { checks.append(revalidate(current)) }
        }
        // Most changes touch no channel of most sockets: answer those without a new future.
        guard !checks.isEmpty else { return eventLoop.makeSucceededVoidFuture() }
        return EventLoopFuture.andAllComplete(checks, on: eventLoop)
    }

    func revalidate(_ channel: ChannelRegistry.Channel) -> EventLoopFuture<Void> {
        guard let identity = channel.identity else { return eventLoop.makeSucceededVoidFuture() }
        let topic = channel.topic
        let generation = channel.generation
        // Several re-checks of one channel may be in flight (changes are decided concurrently): each reads the
        // facts current when it starts, so only the newest one's answer is acted on.
        guard let recheck = registry.beginRecheck(topic: topic) else { return eventLoop.makeSucceededVoidFuture() }
        return services.authorizer.authorize(topic: channel.parsedTopic, subtopic: channel.subtopic,
                                             identity: identity,
                                             isPrivate: channel.config.isPrivate, on: eventLoop)
            .hop(to: eventLoop)
            .map { [self] decision in
                guard registry.isCurrent(topic: topic, generation: generation),
                      registry.isNewestRecheck(topic: topic, recheck: recheck),
                      let current = registry.channel(topic), current.phase == .joined else { return }
                switch decision {
                case .allow(let access):
                    registry.updateAccess(topic: topic, access: access)
                case .deny:
                    metrics.rejection("access_revoked").increment()
                    closeChannel(current, message: AuthorizationDecision.revokedMessage(current.subtopic))
                }
            }
    }
}

extension HubServices {
    /// Re-decides, on every connection's own loop, the joined channels whose subtopic `affects` selects, and
    /// closes those no longer allowed. Completes when every loop has acted on every answer.
    public func revalidate(where affects: @escaping @Sendable (String, String?) -> Bool) -> EventLoopFuture<Void> {
        connections.forEachConnection(on: hub.loops[0]) { connection in
            connection.revalidateChannels(where: affects)
        }
    }
}
