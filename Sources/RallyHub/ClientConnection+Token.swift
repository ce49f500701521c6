import Foundation
import NIOCore
import RallyAuth
import RallyPrivacy
import RallyProtocol

/// Tokens during the session: verification at join, `access_token` refresh, and expiry (ANCHORS §3.3).
extension ClientConnection {
    enum JoinOutcome {
        case success(Identity, TopicAccess)
        case failure(reason: String, metric: String)
    }

    /// Verifies `token` (in place: the verifier never waits), or without one re-checks the connect token's identity
    /// against the clock (what verifying that token again would answer), and asks the authorizer about `subtopic`;
    /// completes on this connection's loop.
    func verifyAndAuthorize(token: String?, topic: Topic?, subtopic: String, isPrivate: Bool)
        -> EventLoopFuture<JoinOutcome> {
        let loop = eventLoop
        let now = services.now()
        let verdict = token.map { services.verifier.verify($0, now: now) } ?? connectIdentity.revalidated(at: now)
        switch verdict {
        case .failure(let failure):
            return loop.makeSucceededFuture(.failure(reason: failure.joinReason, metric: "token_invalid"))
        case .success(let identity):
            return services.authorizer.authorize(topic: topic, subtopic: subtopic, identity: identity,
                                                 isPrivate: isPrivate, on: loop)
                .map { decision -> JoinOutcome in
                    switch decision {
                    case .allow(let access): return .success(identity, access)
                    case .deny(let reason): return .failure(reason: reason, metric: "join_unauthorized")
                    }
                }.hop(to: loop)
        }
    }

    /// `access_token`: no reply on success; a token that fails closes the channel with a `system` error.
    /// `null`, `sb_…` keys and the unchanged token are ignored. Verified at once on the loop (the verifier never
    /// waits on I/O), so no delivery happens between the refresh and its decision. A token of another user or
    /// role closes the channel (`IdentityChanged`): the subscription was filtered, limited and presented as the
    /// old identity, and the client must join again as the new one.
    func handleAccessToken(_ message: PhoenixMessage, channel: ChannelRegistry.Channel) {
        guard let token = message.payload["access_token"]?.stringValue, !token.hasPrefix("sb_") else { return }
        let fingerprint = TokenFingerprint(token)
        guard fingerprint != channel.tokenFingerprint else { return }
        switch services.verifier.verify(token, now: services.now()) {
        case .failure(let failure):
            metrics.rejection("token_invalid").increment()
            closeChannel(channel, message: failure.channelMessage)
        case .success(let identity) where Self.isOtherIdentity(identity, than: channel.identity):
            metrics.rejection("identity_changed").increment()
            closeChannel(channel, message: Self.identityChangedMessage)
        case .success(let identity):
            reauthorize(channel, tokenFingerprint: fingerprint, identity: identity)
        }
    }

    static let identityChangedMessage =
        "IdentityChanged: the access token is for another user or role, join the channel again"

    /// Whether a refreshed token names another subject or role than the one the channel was joined with.
    static func isOtherIdentity(_ identity: Identity, than current: Identity?) -> Bool {
        guard let current else { return true }
        return identity.subject != current.subject || identity.role != current.role
    }

    private func reauthorize(_ channel: ChannelRegistry.Channel, tokenFingerprint: TokenFingerprint,
                             identity: Identity) {
        let topic = channel.topic
        let generation = channel.generation
        services.authorizer.authorize(topic: channel.parsedTopic, subtopic: channel.subtopic, identity: identity,
                                      isPrivate: channel.config.isPrivate, on: eventLoop)
            .hop(to: eventLoop).whenSuccess { [self] decision in
                guard registry.isCurrent(topic: topic, generation: generation),
                      let current = registry.channel(topic) else { return }
                switch decision {
                case .allow(let access):
                    registry.updateCredentials(topic: topic, tokenFingerprint: tokenFingerprint, identity: identity,
                                               access: access)
                    scheduleExpiryCheck()
                case .deny:
                    metrics.rejection("join_unauthorized").increment()
                    closeChannel(current, message:
                        "You no longer have permission to read from this Channel topic: \(current.subtopic)")
                }
            }
    }

    /// Notes when the earliest token of the joined channels expires; the loop's once-a-second expiry sweep
    /// (`ConnectionTracker`) closes those channels when that time has come. No timer per socket.
    func scheduleExpiryCheck() {
        expiryDeadline = registry.nextExpiry
        if expiryDeadline != nil { services.connections.watchExpiry(loopIndex: loopIndex, clock: services.now) }
    }

    /// Called by the expiry sweep with the hub's clock.
    func sweepExpiry(now: Double) {
        guard let deadline = expiryDeadline, deadline <= now else { return }
        closeExpiredChannels()
    }

    /// Closes every channel whose token has expired, as Supabase does (`system` error, then `phx_close`).
    func closeExpiredChannels() {
        let now = services.now().timeIntervalSince1970
        for channel in registry.expired(at: now) {
            let secondsAgo = Int(now - (channel.identity?.expiresAt.timeIntervalSince1970 ?? now))
            metrics.rejection("token_expired").increment()
            closeChannel(channel, message: "Token has expired \(secondsAgo) seconds ago")
        }
        scheduleExpiryCheck()
    }
}
