import NIOCore
import RallyAuth
import RallyPrivacy

/// Live revocation: when the facts behind the join rules change, the joined channels they touch are decided
/// again with the identity they hold, and the ones no longer allowed are closed (`system` error, `phx_close`).
extension ClientConnection {
    /// Re-authorizes every joined channel whose subtopic `affects` selects. Runs on this connection's loop; the
    /// future completes once every check has been acted on.
    /// `affects`: whether a channel (its topic parsed at join, and its token subject: nil when not known yet, any
    /// user; "" for a token without `sub`) is touched.
    func revalidateChannels(where affects: @escaping @Sendable (RevalidationCandidate) -> Bool)
        -> EventLoopFuture<Void> {
        eventLoop.assertInEventLoop()
        // A join still being authorized may have been decided on the facts before this change: its machine notes
        // it and decides again once acknowledged. Its user is not known yet (nil: any user). A joined channel
        // whose token has no `sub` is asked about as "" (nobody's id), not nil (unknown).
        var checks: [EventLoopFuture<Void>] = []
        for channel in registry.channels {
            let subject = channel.phase == .joining ? nil : Self.knownSubject(channel)
            guard affects(RevalidationCandidate(channel, subject: subject)),
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
    public func revalidate(matching affects: @escaping @Sendable (RevalidationCandidate) -> Bool)
        -> EventLoopFuture<Void> {
        connections.forEachConnection(on: hub.loops[0]) { connection in
            connection.revalidateChannels(where: affects)
        }
    }

    /// As `revalidate(matching:)`, asking about each channel's subtopic text and token subject.
    public func revalidate(where affects: @escaping @Sendable (String, String?) -> Bool) -> EventLoopFuture<Void> {
        revalidate(matching: { affects($0.subtopic, $0.subject) })
    }
}

/// A joined channel as a re-check asks about it: its subtopic, the topic parsed from it at join (nil: claims a
/// kind but is malformed), and its user's token subject (nil: not known yet, any user; "": a token without `sub`).
public struct RevalidationCandidate: Sendable {
    public let subtopic: String
    public let topic: Topic?
    public let subject: String?

    public init(subtopic: String, topic: Topic?, subject: String?) {
        self.subtopic = subtopic
        self.topic = topic
        self.subject = subject
    }

    init(_ channel: ChannelRegistry.Channel, subject: String?) {
        self.init(subtopic: channel.subtopic, topic: channel.parsedTopic, subject: subject)
    }
}
