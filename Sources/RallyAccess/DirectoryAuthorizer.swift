import Logging
import NIOCore
import RallyAuth
import RallyDirectory
import RallyHub
import RallyPrivacy

/// The hub's `TopicAuthorizer` backed by the privacy rules (docs/privacy.md): takes the topic the hub parsed at join, loads the facts
/// the rule needs from the `Directory` and decides with `JoinRule`, on every join and token refresh whatever
/// `private` flag the client sent. Every refusal gives the client the same reason; the log says which
/// (`JoinDenial`). A directory error refuses the join (fail closed).
public struct DirectoryAuthorizer: TopicAuthorizer {
    public let directory: any Directory
    public let policy: JoinPolicy
    private let logger: Logger

    public init(directory: any Directory, policy: JoinPolicy = JoinPolicy(),
                logger: Logger = Logger(label: "rally.access")) {
        self.directory = directory
        self.policy = policy
        self.logger = logger
    }

    public func authorize(subtopic: String, identity: Identity, isPrivate: Bool, on loop: EventLoop)
        -> EventLoopFuture<AuthorizationDecision> {
        authorize(topic: try? Topic.parse(subtopic).get(), subtopic: subtopic, identity: identity,
                  isPrivate: isPrivate, on: loop)
    }

    /// Decides on the topic the hub parsed at join (nil: malformed, refused).
    public func authorize(topic: Topic?, subtopic: String, identity: Identity, isPrivate: Bool, on loop: EventLoop)
        -> EventLoopFuture<AuthorizationDecision> {
        let viewer = Self.viewer(of: identity)
        guard let topic else {
            return loop.makeSucceededFuture(decision(.deny(.malformedTopic), subtopic: subtopic, viewer: viewer))
        }
        guard JoinRule.needsFacts(topic: topic, viewer: viewer) else {
            let join = JoinRule.decide(topic: topic, viewer: viewer, facts: .none, policy: policy)
            return loop.makeSucceededFuture(decision(join, subtopic: subtopic, viewer: viewer))
        }
        return loop.futureFromTask { [self] in
            await decideWithFacts(topic: topic, subtopic: subtopic, viewer: viewer)
        }
    }

    private func decideWithFacts(topic: Topic, subtopic: String, viewer: ViewerIdentity) async
        -> AuthorizationDecision {
        do {
            let facts = try await directory.facts(for: topic, viewer: viewer)
            let join = JoinRule.decide(topic: topic, viewer: viewer, facts: facts, policy: policy)
            return decision(join, subtopic: subtopic, viewer: viewer)
        } catch {
            logger.warning("join refused: directory unavailable", metadata: [
                "topic": "\(subtopic)", "error": "\(String(reflecting: error))"])
            return .unauthorized(subtopic)
        }
    }

    private func decision(_ join: JoinDecision, subtopic: String, viewer: ViewerIdentity) -> AuthorizationDecision {
        switch join {
        case .allow(let access):
            return .allow(Self.topicAccess(access))
        case .deny(let denial):
            logger.debug("join refused", metadata: [
                "topic": "\(subtopic)", "denial": "\(denial.rawValue)", "role": "\(viewer.role.rawValue)"])
            return .unauthorized(subtopic)
        }
    }

    /// The viewer the rules see for a verified token: its role and its `sub` (a uuid, or nobody).
    public static func viewer(of identity: Identity) -> ViewerIdentity {
        let role: ViewerRole
        switch identity.role {
        case .anon: role = .anon
        case .authenticated: role = .authenticated
        case .serviceRole: role = .serviceRole
        }
        return ViewerIdentity(role: role, subject: identity.subject)
    }

    /// What the hub lets a joined socket do.
    public static func topicAccess(_ access: JoinAccess) -> TopicAccess {
        TopicAccess(canWrite: access.canBroadcast, canTrackPresence: access.canTrackPresence)
    }
}
