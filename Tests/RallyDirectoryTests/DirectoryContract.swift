import Foundation
import RallyDirectory
import RallyPrivacy
import XCTest

/// The contract both implementations pass, on the same fixture (`ContractFixture`). Each check is one function
/// so each implementation's test class runs them as separate tests.
enum DirectoryContract {
    typealias F = ContractFixture

    static func privacyLevels(_ d: any Directory) async throws {
        let expected: [UUID: PrivacyLevel] = [F.v: .public, F.friend: .friendsOnly, F.friend2: .private,
                                             F.stranger: .friendsOnly]
        for (user, level) in expected {
            let got = try await d.privacyLevel(of: user)
            XCTAssertEqual(got, level, "privacy of \(user)")
        }
        let unknown = try await d.privacyLevel(of: F.unknown)
        XCTAssertNil(unknown, "an unknown user has no level")
    }

    static func relationships(_ d: any Directory) async throws {
        let fromViewer: [UUID: Relationship] = [
            F.v: .oneself, F.friend: .friend, F.friend2: .friend, F.asked: .pendingOutgoing,
            F.asking: .pendingIncoming, F.blocked: .blocking, F.blocker: .blockedBy, F.stranger: .stranger,
            F.mixed: .blockedBy, F.unknown: .stranger,
        ]
        for (other, expected) in fromViewer {
            let got = try await d.relationship(of: F.v, to: other)
            XCTAssertEqual(got, expected, "v → \(other)")
        }
        let towardsViewer: [UUID: Relationship] = [
            F.friend: .friend, F.friend2: .friend, F.asked: .pendingIncoming, F.asking: .pendingOutgoing,
            F.blocked: .blockedBy, F.blocker: .blocking, F.stranger: .stranger, F.mixed: .blocking,
        ]
        for (other, expected) in towardsViewer {
            let got = try await d.relationship(of: other, to: F.v)
            XCTAssertEqual(got, expected, "\(other) → v")
        }
    }

    static func groups(_ d: any Directory) async throws {
        let cases: [(UUID, UUID?, GroupFacts?)] = [
            (F.privateGroup, F.v, GroupFacts(privacy: .private, viewerIsMember: true)),
            (F.privateGroup, F.stranger, GroupFacts(privacy: .private, viewerIsMember: false)),
            (F.privateGroup, nil, GroupFacts(privacy: .private, viewerIsMember: false)),
            (F.publicGroup, F.v, GroupFacts(privacy: .public, viewerIsMember: false)),
            (F.friendsGroup, F.friend, GroupFacts(privacy: .friendsOnly, viewerIsMember: true)),
            (F.unknown, F.v, nil),
        ]
        for (group, viewer, expected) in cases {
            let got = try await d.groupFacts(group, viewer: viewer)
            XCTAssertEqual(got, expected, "group \(group) for \(String(describing: viewer))")
        }
        let members = try await d.groupMembers(F.privateGroup)
        XCTAssertEqual(members, [F.v, F.friend])
        let none = try await d.groupMembers(F.unknown)
        XCTAssertEqual(none, [])
    }

    static func plans(_ d: any Directory) async throws {
        let cases: [(UUID?, Bool)] = [(F.friend, true), (F.v, true), (F.asked, true), (F.stranger, false),
                                      (F.blocked, false), (nil, false)]
        for (viewer, expected) in cases {
            let got = try await d.planFacts(F.plan, viewer: viewer)
            XCTAssertEqual(got, PlanFacts(viewerIsParticipant: expected), "plan for \(String(describing: viewer))")
        }
        let unknown = try await d.planFacts(F.unknown, viewer: F.v)
        XCTAssertNil(unknown)
        let participants = try await d.planParticipants(F.plan)
        XCTAssertEqual(participants, [F.v, F.friend, F.asked], "organizer and not-declined, sorted")
    }

    static func events(_ d: any Directory) async throws {
        let catalogue = try await d.event(F.catalogueEvent)
        XCTAssertEqual(catalogue, EventRecord(id: F.catalogueEvent, visibility: .public, creator: nil, capacity: 3,
                                              going: 2))
        XCTAssertEqual(catalogue?.remaining, 1)
        let friends = try await d.event(F.friendsEvent)
        XCTAssertEqual(friends, EventRecord(id: F.friendsEvent, visibility: .friends, creator: F.friend))
        let unknown = try await d.event(F.unknown)
        XCTAssertNil(unknown)
        let attending = try await d.hasAttendance(F.v, event: F.privateEvent)
        XCTAssertTrue(attending, "a not_going row still counts: v was invited")
        let notAttending = try await d.hasAttendance(F.friend, event: F.privateEvent)
        XCTAssertFalse(notAttending)
    }

    static func friends(_ d: any Directory) async throws {
        let ofViewer = try await d.acceptedFriends(of: F.v)
        XCTAssertEqual(ofViewer, [F.friend, F.friend2], "mixed is excluded by its block")
        let ofFriend = try await d.acceptedFriends(of: F.friend)
        XCTAssertEqual(ofFriend, [F.v])
        let ofStranger = try await d.acceptedFriends(of: F.stranger)
        XCTAssertEqual(ofStranger, [])
    }
}
