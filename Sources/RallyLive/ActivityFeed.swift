import Foundation
import Logging
import RallyDirectory
import RallyHub
import RallyPrivacy
import RallyProtocol

/// One thing a person did that their friends may see: an RSVP (`going`, `interested`, `maybe`) or an event
/// they created.
struct ActivityItem: Sendable {
    var actor: UUID
    var event: UUID
    var verb: String
    /// The item's own visibility (`event_attendance.visibility`, or the created event's).
    var visibility: ItemVisibility
    var at: Date
}

/// Friend activity: each item goes to the `feed:<viewer>` of the actor's friends who have one open on this node
/// (found through `FeedIndex`, so the cost grows with online friends only) and to `profile:<actor>`, filtered per
/// subscriber (`ActivityAudience`). An item about an event that is not public only reaches people who may see
/// that event (its creator, and for a friends event the creator's friends).
actor ActivityFeed {
    private let hub: Hub
    private let directory: any Directory
    private let store: any LiveStore
    private let relationships: RelationshipCache
    private let logger: Logger
    private var index = FeedIndex()
    private var profiles: [UUID: Int] = [:]

    init(hub: Hub, directory: any Directory, store: any LiveStore, relationships: RelationshipCache, logger: Logger) {
        self.hub = hub
        self.directory = directory
        self.store = store
        self.relationships = relationships
        self.logger = logger
    }

    func openFeed(_ viewer: UUID) async throws {
        guard index.open(viewer) else { return }
        do {
            index.loaded(viewer, friends: try await directory.acceptedFriends(of: viewer))
        } catch {
            index.loaded(viewer, friends: [])
            throw error
        }
    }

    func closeFeed(_ viewer: UUID) { index.close(viewer) }

    func openProfile(_ actor: UUID) { profiles[actor, default: 0] += 1 }

    func closeProfile(_ actor: UUID) {
        guard let count = profiles[actor] else { return }
        profiles[actor] = count > 1 ? count - 1 : nil
    }

    /// A friendship row between `a` and `b` changed: their online feeds learn whether they are friends now.
    func friendshipChanged(_ a: UUID, _ b: UUID) async {
        for (viewer, other) in [(a, b), (b, a)] where index.isOnline(viewer) {
            let isFriend = (try? await directory.relationship(of: viewer, to: other)) == .friend
            index.setFriendship(viewer: viewer, other: other, isFriend: isFriend)
        }
    }

    /// After the change feed reconnected: every online viewer's friends are read again.
    func resync() async {
        for viewer in index.onlineViewers {
            guard let friends = try? await directory.acceptedFriends(of: viewer) else { continue }
            index.replaceFriends(viewer, friends: friends)
        }
    }

    func publish(_ item: ActivityItem) async {
        let feeds = index.friendsOnline(of: item.actor)
        let profileOpen = profiles[item.actor] != nil
        guard !feeds.isEmpty || profileOpen else { return }
        do {
            guard let event = try await store.eventDetails(item.event) else { return }
            let privacy = try await directory.privacyLevel(of: item.actor) ?? .mostRestrictive
            let visibility = Self.stricter(item.visibility, event.visibility)
            let eventViewers = try await viewers(of: event, actor: item.actor)
            let payload = JSON.object(Self.payload(item, event: event, visibility: visibility))
            if ItemRule.visible(actorPrivacy: privacy, itemVisibility: visibility, relationship: .friend,
                                viewer: .authenticated) {
                for viewer in feeds where eventViewers?.contains(viewer) ?? true {
                    hub.publish(envelope(payload, topic: .feed(viewer)))
                }
            }
            guard profileOpen else { return }
            let audience = ActivityAudience(actor: item.actor, actorPrivacy: privacy, visibility: visibility,
                                            relationships: try await relationships.towards(item.actor),
                                            eventViewers: eventViewers)
            hub.publish(envelope(payload, topic: .profile(item.actor)), audience: audience)
        } catch {
            logger.warning("activity dropped: facts unreadable", metadata: ["error": "\(String(reflecting: error))"])
        }
    }

    /// Who may see a non-public event (nil: anyone): its creator, the actor, and for a friends event the
    /// creator's accepted friends. Fail closed: a private event is shown to nobody else.
    private func viewers(of event: EventDetails, actor: UUID) async throws -> Set<UUID>? {
        guard event.visibility != .public else { return nil }
        var allowed: Set<UUID> = [actor]
        guard let creator = event.creator else { return allowed }
        allowed.insert(creator)
        if event.visibility == .friends {
            for (person, relationship) in try await relationships.towards(creator) where relationship == .friend {
                allowed.insert(person)
            }
        }
        return allowed
    }

    private func envelope(_ payload: JSON, topic: Topic) -> BroadcastEnvelope {
        BroadcastEnvelope(topic: topic.hubName, event: LiveEvents.activity, payload: .json(payload), preferBinary: true)
    }

    static func payload(_ item: ActivityItem, event: EventDetails, visibility: ItemVisibility) -> JSONObject {
        [
            "id": .string("\(item.actor.lowercased):\(item.event.lowercased):\(item.verb)"),
            "actor_id": .string(item.actor.lowercased),
            "verb": .string(item.verb),
            "event": .object([
                "event_id": .string(event.id.lowercased), "title": .string(event.title),
                "starts_at": LivePayloads.timestamp(event.startsAt), "location_name": .string(event.locationName),
            ]),
            "visibility": .string(visibility.rawValue),
            "at": LivePayloads.timestamp(item.at),
        ]
    }

    /// The stricter of two visibilities.
    static func stricter(_ a: ItemVisibility, _ b: ItemVisibility) -> ItemVisibility {
        a.ceiling <= b.ceiling ? a : b
    }
}
