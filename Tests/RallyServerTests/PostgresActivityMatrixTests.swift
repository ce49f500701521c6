import Foundation
import PostgresNIO
import RallyClient
import RallyDirectory
import RallyPrivacy
import RallyProtocol
import RallyServer
import RallyTestSupport
import XCTest

/// What is delivered, end to end against a real PostgreSQL: three actors (private, friends_only, public), each
/// seen by a friend, both kinds of pending request, a block in each direction and a stranger; each actor RSVPs
/// with every item visibility. Every viewer's `feed:` and every `profile:` it may join get exactly the items the
/// rules (docs/privacy.md) allow — and nothing else, checked after a marker that follows on the same topic.
final class PostgresActivityMatrixTests: XCTestCase {
    typealias Viewer = (name: String, id: UUID, relationship: Relationship)

    let actors: [(id: UUID, privacy: PrivacyLevel)] = PrivacyLevel.allCases.map { (UUID(), $0) }
    let viewers: [Viewer] = [
        ("friend", UUID(), .friend), ("asked", UUID(), .pendingOutgoing), ("was asked", UUID(), .pendingIncoming),
        ("blocking", UUID(), .blocking), ("blocked", UUID(), .blockedBy), ("stranger", UUID(), .stranger),
    ]
    let marker = UUID()
    let itemEvents: [ItemVisibility: UUID] = Dictionary(uniqueKeysWithValues: ItemVisibility.allCases.map { ($0, UUID()) })
    let markerEvent = UUID()

    func testEveryFeedAndProfileGetsExactlyWhatTheRulesAllow() async throws {
        try await withDatabaseNode(seed: seed()) { database, harness in try await run(database, harness) }
    }

    private func run(_ database: TestDatabase, _ harness: NodeHarness) async throws {
        var clients: [UUID: TestConnection] = [:]
        var joinedProfiles: [UUID: [UUID]] = [:]
        for person in viewers.map(\.id) + actors.map(\.id) {
            clients[person] = try await connect(harness, as: person)
        }
        for viewer in viewers {
            let feed = try await clients[viewer.id]!.connection.join("realtime:feed:" + viewer.id.lowercased)
            XCTAssertTrue(feed.isOK, "\(viewer.name): \(feed)")
        }
        for actor in actors {
            for (viewerID, relationship) in viewers.map({ ($0.id, $0.relationship) }) + [(actor.id, .oneself)] {
                let reply = try await clients[viewerID]!.connection.join(profileTopic(actor.id))
                let expected = JoinRule.decide(topic: .profile(actor.id),
                                               viewer: ViewerIdentity(role: .authenticated, userID: viewerID),
                                               facts: .profile(ProfileFacts(ownerPrivacy: actor.privacy,
                                                                            relationship: relationship))).isAllowed
                XCTAssertEqual(reply.isOK, expected, "profile of a \(actor.privacy) actor, viewer \(relationship)")
                if reply.isOK { joinedProfiles[viewerID, default: []].append(actor.id) }
            }
        }
        try await writeItemsAndMarkers(database)
        for viewer in viewers {
            try checkFeed(of: viewer, events: clients[viewer.id]!.events)
        }
        for (viewerID, profiles) in joinedProfiles {
            for actorID in profiles {
                try checkProfile(actorID, viewerID: viewerID, events: clients[viewerID]!.events)
            }
        }
    }

    private func writeItemsAndMarkers(_ database: TestDatabase) async throws {
        for actor in actors {
            for visibility in ItemVisibility.allCases {
                try await rsvp(database, user: actor.id, event: itemEvents[visibility]!, visibility: visibility)
            }
        }
        for actor in actors { try await rsvp(database, user: actor.id, event: markerEvent, visibility: .public) }
        try await rsvp(database, user: marker, event: markerEvent, visibility: .public)
    }

    // MARK: Expectations

    /// A viewer's feed: the items of actors it is friends with that the rule allows, then the marker's.
    private func checkFeed(of viewer: Viewer, events: EventRecorder) throws {
        let topic = "realtime:feed:" + viewer.id.lowercased
        events.first(timeout: 10) { Self.item($0, topic: topic)?.actor == self.marker }
        let got = Set(events.all.compactMap { Self.item($0, topic: topic) }.filter { $0.event != markerEvent })
        var expected: Set<Item> = []
        for actor in actors where viewer.relationship == .friend {
            for visibility in ItemVisibility.allCases where ItemRule.visible(
                actorPrivacy: actor.privacy, itemVisibility: visibility, relationship: .friend, viewer: .authenticated) {
                expected.insert(Item(actor: actor.id, event: itemEvents[visibility]!))
            }
        }
        XCTAssertEqual(got, expected, "feed of the \(viewer.name)")
    }

    /// A joined profile: the actor's items the rule allows this viewer, then the actor's public marker.
    private func checkProfile(_ actorID: UUID, viewerID: UUID, events: EventRecorder) throws {
        let actor = try XCTUnwrap(actors.first { $0.id == actorID })
        let relationship = viewerID == actorID ? .oneself : viewers.first { $0.id == viewerID }!.relationship
        let topic = profileTopic(actorID)
        events.first(timeout: 10) { Self.item($0, topic: topic)?.event == self.markerEvent }
        let got = Set(events.all.compactMap { Self.item($0, topic: topic) }.filter { $0.event != markerEvent })
        let expected = Set(ItemVisibility.allCases.filter {
            ItemRule.visible(actorPrivacy: actor.privacy, itemVisibility: $0, relationship: relationship,
                             viewer: .authenticated)
        }.map { Item(actor: actorID, event: itemEvents[$0]!) })
        XCTAssertEqual(got, expected, "profile of a \(actor.privacy) actor seen by \(relationship)")
    }

    struct Item: Hashable {
        var actor: UUID
        var event: UUID
    }

    private static func item(_ event: ServerEvent, topic: String) -> Item? {
        guard event.topic == topic, event.broadcastEvent == "activity",
              case .json(let payload)? = event.broadcastPayload,
              let actor = payload["actor_id"]?.stringValue.flatMap(UUID.init(uuidString:)),
              let id = payload["event"]?["event_id"]?.stringValue.flatMap(UUID.init(uuidString:)) else { return nil }
        return Item(actor: actor, event: id)
    }

    // MARK: Setup

    private func seed() -> DirectorySeed {
        var users: [DirectorySeed.User] = actors.map { .init(id: $0.id, name: "actor \($0.privacy)", privacy: $0.privacy) }
        users += viewers.map { .init(id: $0.id, name: $0.name, privacy: .public) }
        users.append(.init(id: marker, name: "marker", privacy: .public))
        var friendships: [DirectorySeed.Friendship] = []
        for actor in actors {
            for viewer in viewers {
                if let row = Self.friendship(viewer: viewer.id, actor: actor.id, viewer.relationship) {
                    friendships.append(row)
                }
            }
        }
        friendships += viewers.map { .init(user: marker, friend: $0.id, status: .accepted) }
        var events: [DirectorySeed.Event] = itemEvents.map { .init(id: $0.value, title: "\($0.key)", creator: nil,
                                                                  visibility: .public) }
        events.append(.init(id: markerEvent, title: "marker", creator: nil, visibility: .public))
        return DirectorySeed(users: users, friendships: friendships, events: events)
    }

    /// The `friendships` row that makes `viewer` stand in `relationship` towards `actor`.
    private static func friendship(viewer: UUID, actor: UUID, _ relationship: Relationship) -> DirectorySeed.Friendship? {
        switch relationship {
        case .friend: return .init(user: actor, friend: viewer, status: .accepted)
        case .pendingOutgoing: return .init(user: viewer, friend: actor, status: .pending, initiatedBy: viewer)
        case .pendingIncoming: return .init(user: actor, friend: viewer, status: .pending, initiatedBy: actor)
        case .blocking: return .init(user: viewer, friend: actor, status: .blocked, initiatedBy: viewer)
        case .blockedBy: return .init(user: actor, friend: viewer, status: .blocked, initiatedBy: actor)
        case .stranger, .oneself: return nil
        }
    }

    private func rsvp(_ database: TestDatabase, user: UUID, event: UUID, visibility: ItemVisibility) async throws {
        try await database.client.query("""
            INSERT INTO event_attendance (user_id, event_id, status, visibility)
            VALUES (\(user), \(event), 'going', \(visibility.rawValue))
            """, logger: TestDatabase.logger)
    }

    private func profileTopic(_ actor: UUID) -> String { "realtime:profile:" + actor.lowercased }

    private func connect(_ harness: NodeHarness, as user: UUID) async throws -> TestConnection {
        let token = try await harness.token(subject: user.lowercased)
        let recorder = EventRecorder()
        let connection = try await RealtimeConnection.connect(
            to: harness.base, version: .v1, apiKey: token, inbound: .callback({ recorder.record($0) }),
            on: harness.clientGroup)
        return TestConnection(connection: connection, events: recorder)
    }

    static func urlText(_ url: DatabaseURL) -> String {
        let password = url.password.map { ":" + $0 } ?? ""
        return "postgres://\(url.username)\(password)@\(url.host):\(url.port)/\(url.database ?? "")?sslmode=disable"
    }
}

extension UUID {
    var lowercased: String { uuidString.lowercased() }
}
