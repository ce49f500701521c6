import Foundation
import Logging
import RallyDirectory
import RallyHub
import RallyPrivacy
import RallyProtocol

/// Notifications on `user:<id>`: the unread ones on join (`notifications`), each new row at once
/// (`notification`), and read-state changes (`notification_updated`). Only users with a channel open on this
/// node are looked at.
actor NotificationFeed {
    private let hub: Hub
    private let store: any LiveStore
    private let settings: LiveSettings
    private let logger: Logger
    private var users: [UUID: Int] = [:]

    init(hub: Hub, store: any LiveStore, settings: LiveSettings, logger: Logger) {
        self.hub = hub
        self.store = store
        self.settings = settings
        self.logger = logger
    }

    /// Opens a channel of `user` and returns its backlog: one `notifications` push with the unread ones.
    func watch(_ user: UUID, topic: String) async throws -> JoinBacklog {
        users[user, default: 0] += 1
        let unread = try await store.unreadNotifications(of: user, limit: settings.unreadOnJoin)
        return JoinBacklog(pushes: [Self.unreadPush(unread, topic: topic)],
                           dedupeKeys: Set(unread.map { Self.dedupeKey($0.id) }))
    }

    func unwatch(_ user: UUID) {
        guard let count = users[user] else { return }
        users[user] = count > 1 ? count - 1 : nil
    }

    func handle(_ operation: ChangeOperation, id: UUID, user: UUID, inline: NotificationRecord?) async {
        guard users[user] != nil else { return }
        let topic = Topic.user(user).hubName
        do {
            switch operation {
            case .insert:
                var record = inline
                if record == nil { record = try await store.notification(id) }
                guard let record else { return }
                hub.publish(BroadcastEnvelope(topic: topic, event: LiveEvents.notification,
                                              payload: .json(LivePayloads.notification(record)), preferBinary: true),
                            dedupeKey: Self.dedupeKey(id))
            case .update:
                var isRead = inline?.isRead
                if isRead == nil { isRead = try await store.notification(id)?.isRead }
                publishUpdate(topic: topic, id: id, isRead: isRead ?? true, deleted: false)
            case .delete:
                publishUpdate(topic: topic, id: id, isRead: true, deleted: true)
            }
        } catch {
            logger.warning("notification not read", metadata: ["id": "\(id)", "error": "\(error)"])
        }
    }

    /// After the change feed reconnected: every open user channel gets its unread list again.
    func resync() async {
        for user in users.keys {
            let topic = Topic.user(user).hubName
            guard let unread = try? await store.unreadNotifications(of: user, limit: settings.unreadOnJoin) else {
                continue
            }
            hub.publish(Self.unreadPush(unread, topic: topic))
        }
    }

    private func publishUpdate(topic: String, id: UUID, isRead: Bool, deleted: Bool) {
        let payload = JSON.object(["id": .string(id.lowercased), "is_read": .bool(isRead), "deleted": .bool(deleted)])
        hub.publish(BroadcastEnvelope(topic: topic, event: LiveEvents.notificationUpdated, payload: .json(payload),
                                      preferBinary: true))
    }

    static func unreadPush(_ unread: [NotificationRecord], topic: String) -> BroadcastEnvelope {
        BroadcastEnvelope(topic: topic, event: LiveEvents.notifications, payload: .json(.object([
            "unread": .array(unread.map(LivePayloads.notification)), "count": .int(unread.count),
        ])), preferBinary: false)
    }

    static func dedupeKey(_ id: UUID) -> String { "n:\(id.lowercased)" }
}
