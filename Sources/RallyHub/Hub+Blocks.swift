import Foundation
import RallyPrivacy
import RallyProtocol

/// A block between two people who may share topics: presence either of them already showed the other is taken
/// back. (Later diffs and states are filtered by the entries' audiences.)
extension Hub {
    /// On every topic where one of `a` and `b` has presence, each subscription of the other gets a
    /// `presence_diff` leaving them, so neither client keeps showing the other. Runs on every shard's loop.
    public func hidePresence(between a: UUID, and b: UUID) {
        for shard in shards {
            shard.run {
                shard.forEachPresence { topic, state in
                    Self.hide(a, from: b, topic: topic, state: state)
                    Self.hide(b, from: a, topic: topic, state: state)
                }
            }
        }
    }

    private static func hide(_ person: UUID, from viewer: UUID, topic: String, state: TopicState) {
        guard let diff = state.presence.leaves(ofUsers: { Self.names($0, person) }) else { return }
        let viewers = state.byLoop.joined().filter { $0.userUUID == viewer }
        guard !viewers.isEmpty else { return }
        let message = FanoutMessage.push(kind: .presence, topic: topic, event: "presence_diff", payload: diff.json(),
                                         versions: state.versions)
        for subscription in viewers {
            subscription.eventLoop.execute { subscription.deliver(message) }
        }
    }

    private static func names(_ userID: String, _ person: UUID) -> Bool {
        UUIDText.parse(userID) == person
    }
}
