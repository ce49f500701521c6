import Foundation
import Logging
import RallyDirectory
import RallyHub
import RallyPrivacy
import RallyProtocol

/// Durable group chat on `group:<id>`: every stored message reaches the group's channels on this node from the
/// change feed (so messages stored by any node, or by the product's backend, arrive the same way), with its id in
/// `meta.id`; a joiner can replay what it missed; after the change feed reconnects, what was stored meanwhile is
/// read back and delivered, in id order (ids grow in commit order within a group).
actor ChatFeed {
    struct Group {
        var channels = 0
        var lastDelivered: Int64 = 0
    }

    private let hub: Hub
    private let store: any LiveStore
    private let relationships: RelationshipCache
    private let settings: LiveSettings
    private let logger: Logger
    private var groups: [UUID: Group] = [:]

    init(hub: Hub, store: any LiveStore, relationships: RelationshipCache, settings: LiveSettings, logger: Logger) {
        self.hub = hub
        self.store = store
        self.relationships = relationships
        self.settings = settings
        self.logger = logger
    }

    func watch(_ group: UUID) async throws {
        if groups[group] != nil {
            groups[group]!.channels += 1
            return
        }
        groups[group] = Group(channels: 1)
        let latest = try await store.latestMessageID(group: group)
        if let delivered = groups[group]?.lastDelivered { groups[group]?.lastDelivered = max(delivered, latest) }
    }

    func unwatch(_ group: UUID) {
        guard var entry = groups[group] else { return }
        entry.channels -= 1
        groups[group] = entry.channels > 0 ? entry : nil
    }

    /// A `group_messages` change.
    func handle(_ operation: ChangeOperation, id: Int64, group: UUID, inline: StoredMessage?, author: UUID?) async {
        guard groups[group] != nil else { return }
        let topic = Topic.group(group).hubName
        switch operation {
        case .delete:
            guard let audience = await conversationAudience(of: author) else { return }
            publish(topic: topic, event: LiveEvents.messageDeleted, payload: .object(["id": .string(String(id))]),
                    id: id, audience: audience)
        case .insert, .update:
            do {
                var message = inline
                if message == nil { message = try await store.message(id) }
                guard let message else { return }
                await deliver(message, event: operation == .insert ? LiveEvents.message
                                                                    : LiveEvents.messageUpdated)
            } catch {
                logger.warning("chat message not read", metadata: ["id": "\(id)", "error": "\(error)"])
            }
        }
    }

    /// After the change feed reconnected: delivers what was stored while it was away.
    func resync() async {
        for (group, entry) in groups {
            do {
                let missed = try await store.messages(group: group, after: entry.lastDelivered,
                                                      limit: settings.resyncMaxMessages)
                for message in missed { await deliver(message, event: LiveEvents.message) }
            } catch {
                logger.warning("chat resync failed", metadata: ["group": "\(group)", "error": "\(error)"])
            }
        }
    }

    /// The messages a joiner asked for with `broadcast.replay` (`after_id`, or Supabase's `since` in ms), as
    /// broadcasts with `meta.replayed`, followed by `replay_done`.
    func replay(group: UUID, config: JoinConfig, topic: String, viewer: UUID?) async throws -> JoinBacklog {
        let limit = min(max(config.replayLimit ?? settings.replayDefaultMessages, 1), settings.replayMaxMessages)
        let messages: [StoredMessage]
        if let afterID = config.replayAfterID {
            messages = try await store.messages(group: group, after: afterID, limit: limit)
        } else if let since = config.replaySince {
            let date = Date(timeIntervalSince1970: Double(since) / 1000)
            messages = try await store.messages(group: group, since: date, limit: limit)
        } else {
            throw ReplayParametersInvalid()
        }
        var backlog = JoinBacklog()
        for message in messages where try await visible(message, to: viewer) {
            backlog.pushes.append(envelope(message, event: LiveEvents.message, topic: topic, replayed: true))
            backlog.dedupeKeys.insert(Self.dedupeKey(message.id))
        }
        let lastID = messages.last?.id ?? config.replayAfterID ?? 0
        backlog.pushes.append(BroadcastEnvelope(topic: topic, event: LiveEvents.replayDone, payload: .json(.object([
            "count": .int(messages.count), "last_id": .string(String(lastID)),
            "more": .bool(messages.count == limit),
        ])), preferBinary: false))
        return backlog
    }

    /// Whether a replayed message may reach `viewer` (not across a block with its author).
    private func visible(_ message: StoredMessage, to viewer: UUID?) async throws -> Bool {
        guard let viewer, let author = message.user, author != viewer else { return true }
        let relationship = try await relationships.towards(author)[viewer] ?? .stranger
        return !relationship.isBlocked
    }

    private func deliver(_ message: StoredMessage, event: String) async {
        let topic = Topic.group(message.group).hubName
        guard let audience = await conversationAudience(of: message.user) else { return }
        hub.publish(envelope(message, event: event, topic: topic, replayed: false), audience: audience,
                    dedupeKey: Self.dedupeKey(message.id))
        if event == LiveEvents.message, let delivered = groups[message.group]?.lastDelivered {
            groups[message.group]?.lastDelivered = max(delivered, message.id)
        }
    }

    /// Who may see an item of `author` (not across a block); `.some(nil)` for an item nobody wrote, nil when
    /// the author's relationships cannot be read (the item is held back: fail closed).
    private func conversationAudience(of author: UUID?) async -> Audience?? {
        guard let author else { return .some(nil) }
        do {
            return ConversationAudience(author: author, relationships: try await relationships.towards(author))
        } catch {
            logger.warning("chat item held back: relationships unreadable", metadata: ["error": "\(error)"])
            return nil
        }
    }

    private func publish(topic: String, event: String, payload: JSON, id: Int64, audience: Audience?) {
        hub.publish(BroadcastEnvelope(topic: topic, event: event, payload: .json(payload),
                                      meta: LivePayloads.messageMeta(id, replayed: false), preferBinary: true),
                    audience: audience)
    }

    private func envelope(_ message: StoredMessage, event: String, topic: String, replayed: Bool)
        -> BroadcastEnvelope {
        BroadcastEnvelope(topic: topic, event: event, payload: .json(LivePayloads.message(message)),
                          meta: LivePayloads.messageMeta(message.id, replayed: replayed), preferBinary: true)
    }

    static func dedupeKey(_ id: Int64) -> String { "m:\(id)" }
}

/// `broadcast.replay` had neither `after_id` nor `since`.
struct ReplayParametersInvalid: Error {}
