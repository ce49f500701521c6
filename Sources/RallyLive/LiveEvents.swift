import RallyPrivacy

/// The event names Rally itself sends on live topics (docs/live-data.md, "Reserved event names"), in one place:
/// the feeds send their items under these names, and a client broadcast under one of them on a topic kind where
/// Rally sends it is refused (`ReservedEvent`), so no member can forge what looks like the server's word.
/// Clients (realtime-js) match broadcast names without regard to case, so neither does the check.
public enum LiveEvents {
    public static let capacity = "capacity"
    public static let event = "event"
    public static let eventDeleted = "event_deleted"
    public static let plan = "plan"
    public static let message = "message"
    public static let messageUpdated = "message_updated"
    public static let messageDeleted = "message_deleted"
    public static let replayDone = "replay_done"
    public static let notifications = "notifications"
    public static let notification = "notification"
    public static let notificationUpdated = "notification_updated"
    public static let activity = "activity"
    public static let location = "location"
    public static let locationStopped = "location_stopped"

    /// Names of the protocol's own server messages: never a broadcast's name on a live topic either.
    public static let protocolNames: Set<String> = [
        "presence_state", "presence_diff", "system", "phx_reply", "phx_close", "phx_error", "phx_join", "phx_leave",
        "access_token", "heartbeat",
    ]

    /// What Rally sends on each topic kind. Free-form rooms are the clients' own: no name is reserved there.
    public static func sent(on kind: TopicKind) -> Set<String> {
        switch kind {
        case .event: return [capacity, event, eventDeleted]
        case .plan: return [plan]
        case .group: return [message, messageUpdated, messageDeleted, replayDone]
        case .user: return [notifications, notification, notificationUpdated]
        case .feed, .profile: return [activity]
        case .locationPlan, .locationFriends: return [location, locationStopped]
        case .freeForm: return []
        }
    }

    /// The names no client but `service_role` may broadcast on `kind` (lower case).
    public static func reserved(on kind: TopicKind) -> Set<String> {
        kind == .freeForm ? [] : sent(on: kind).union(protocolNames)
    }

    /// Whether a client broadcast named `name` on `kind` would pass for the server's.
    public static func isReserved(_ name: String, on kind: TopicKind) -> Bool {
        kind != .freeForm && reservedByKind[kind]?.contains(name.lowercased()) == true
    }

    /// The error reply to a refused write.
    public static func refusal(_ name: String) -> String {
        "ReservedEvent: \(name) is sent only by the server"
    }

    private static let reservedByKind: [TopicKind: Set<String>] = Dictionary(
        uniqueKeysWithValues: TopicKind.allCases.map { ($0, reserved(on: $0)) })
}
