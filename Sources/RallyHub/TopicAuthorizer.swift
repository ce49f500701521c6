import NIOCore
import RallyAuth
import RallyPrivacy

/// What a joined socket may do on a topic.
public struct TopicAccess: Sendable {
    public var canWrite: Bool
    public var canTrackPresence: Bool

    public init(canWrite: Bool = true, canTrackPresence: Bool = true) {
        self.canWrite = canWrite
        self.canTrackPresence = canTrackPresence
    }

    public static let full = TopicAccess()
}

public enum AuthorizationDecision: Sendable {
    case allow(TopicAccess)
    /// `reason` is the whole `phx_reply` reason, e.g. `Unauthorized: You do not have permissions to read from
    /// this Channel topic: room1`.
    case deny(reason: String)

    public static func unauthorized(_ subtopic: String) -> AuthorizationDecision {
        .deny(reason: "Unauthorized: You do not have permissions to read from this Channel topic: \(subtopic)")
    }

    /// The `system` message of a channel closed because its right was taken away while joined.
    public static func revokedMessage(_ subtopic: String) -> String {
        "Unauthorized: You no longer have permission to read from this Channel topic: \(subtopic)"
    }
}

/// Decides who may join which topic. Runs on every join and every token refresh, whatever `private` flag the
/// client sent. Implementations must be thread-safe and must fail closed.
public protocol TopicAuthorizer: Sendable {
    func authorize(subtopic: String, identity: Identity, isPrivate: Bool, on loop: EventLoop)
        -> EventLoopFuture<AuthorizationDecision>
    /// The same decision for a subtopic the hub already parsed (`topic`: nil when it claims a kind but is
    /// malformed): the hub calls this one, with the value parsed once at join.
    func authorize(topic: Topic?, subtopic: String, identity: Identity, isPrivate: Bool, on loop: EventLoop)
        -> EventLoopFuture<AuthorizationDecision>
}

extension TopicAuthorizer {
    /// Authorizers that decide on the text alone ignore the parsed value.
    public func authorize(topic: Topic?, subtopic: String, identity: Identity, isPrivate: Bool, on loop: EventLoop)
        -> EventLoopFuture<AuthorizationDecision> {
        authorize(subtopic: subtopic, identity: identity, isPrivate: isPrivate, on: loop)
    }
}

/// Free-form rooms: `service_role` and signed-in users may join, read and write any topic; anonymous users only
/// when `allowAnonymous` (configurable; default off, as SPEC §2 asks).
public struct FreeFormAuthorizer: TopicAuthorizer {
    public var allowAnonymous: Bool

    public init(allowAnonymous: Bool = false) {
        self.allowAnonymous = allowAnonymous
    }

    public func authorize(subtopic: String, identity: Identity, isPrivate: Bool, on loop: EventLoop)
        -> EventLoopFuture<AuthorizationDecision> {
        let allowed = identity.role != .anon || allowAnonymous
        return loop.makeSucceededFuture(allowed ? .allow(.full) : .unauthorized(subtopic))
    }
}
