import Foundation
import RallyDirectory
import RallyPrivacy
import XCTest

extension DirectoryContract {
    /// One mutation and the changes it must report (in any order among themselves).
    struct Step {
        var mutation: DirectoryMutation
        var changes: [DirectoryChange]
    }

    static let steps: [Step] = [
        Step(mutation: .setFriendship(.init(user: F.v, friend: F.stranger, status: .accepted)),
             changes: [.friendship(.insert, a: F.v, b: F.stranger, status: .accepted)]),
        Step(mutation: .setFriendship(.init(user: F.v, friend: F.friend, status: .blocked)),
             changes: [.friendship(.update, a: F.v, b: F.friend, status: .blocked)]),
        Step(mutation: .removeFriendship(user: F.v, friend: F.asked),
             changes: [.friendship(.delete, a: F.v, b: F.asked, status: .pending)]),
        Step(mutation: .setPrivacy(user: F.friend2, .public), changes: [.user(.update, user: F.friend2, privacy: .public)]),
        Step(mutation: .setGroupPrivacy(group: F.privateGroup, .public),
             changes: [.group(.update, group: F.privateGroup, privacy: .public)]),
        Step(mutation: .addMember(group: F.publicGroup, user: F.v),
             changes: [.groupMember(.insert, group: F.publicGroup, user: F.v)]),
        Step(mutation: .removeMember(group: F.privateGroup, user: F.friend),
             changes: [.groupMember(.delete, group: F.privateGroup, user: F.friend)]),
        Step(mutation: .setParticipant(plan: F.plan, .init(user: F.stranger, status: "accepted")),
             changes: [.planParticipant(.update, plan: F.plan, user: F.stranger, status: "accepted")]),
        Step(mutation: .removeParticipant(plan: F.plan, user: F.v),
             changes: [.planParticipant(.delete, plan: F.plan, user: F.v, status: "accepted")]),
        Step(mutation: .setPlanStatus(plan: F.plan, "confirmed"), changes: [.plan(.update, plan: F.plan, status: "confirmed")]),
        Step(mutation: .setEventVisibility(event: F.friendsEvent, .public),
             changes: [.event(.update, event: F.friendsEvent, visibility: .public, active: true, creator: F.friend)]),
        Step(mutation: .cancelEvent(F.friendsEvent),
             changes: [.event(.update, event: F.friendsEvent, visibility: .public, active: false, creator: F.friend)]),
        Step(mutation: .setAttendance(event: F.catalogueEvent, .init(user: F.stranger, status: "going", visibility: .public)),
             changes: [.attendance(.update, event: F.catalogueEvent, user: F.stranger, status: "going", visibility: .public)]),
        Step(mutation: .removeAttendance(event: F.catalogueEvent, user: F.friend),
             changes: [.attendance(.delete, event: F.catalogueEvent, user: F.friend, status: "going", visibility: .friends)]),
    ] + LiveFixture.steps + [
        Step(mutation: .setFriendship(.init(user: F.v, friend: F.stranger, status: .accepted)), changes: []),
        Step(mutation: .deleteUser(F.asking), changes: [
            .user(.delete, user: F.asking, privacy: .public),
            .friendship(.delete, a: F.asking, b: F.v, status: .pending),
        ]),
    ]

    /// Every step reports exactly its changes, in step order, and the facts follow.
    static func changesAreReported(_ harness: any DirectoryHarness) async throws {
        let recorder = try await harness.startRecording()
        for step in steps { try await harness.apply(step.mutation) }
        let sentinel = DirectoryChange.user(.update, user: F.v, privacy: .private)
        try await harness.apply(.setPrivacy(user: F.v, .private))
        let received = await recorder.waitUntil { $0.contains(sentinel) }
        let expected = steps.flatMap(\.changes) + [sentinel]
        XCTAssertEqual(received.count, expected.count, "received \(received)")
        var offset = 0
        for (label, changes) in steps.map({ ("\($0.mutation)", $0.changes) }) + [("sentinel", [sentinel])] {
            let chunk = Array(received.dropFirst(offset).prefix(changes.count))
            XCTAssertEqual(Set(chunk), Set(changes), "after \(label)")
            offset += changes.count
        }
        try await factsFollowTheSteps(harness.directory)
    }

    static func factsFollowTheSteps(_ d: any Directory) async throws {
        let toStranger = try await d.relationship(of: F.v, to: F.stranger)
        XCTAssertEqual(toStranger, .friend)
        let toFriend = try await d.relationship(of: F.friend, to: F.v)
        XCTAssertEqual(toFriend, .blockedBy)
        let friends = try await d.acceptedFriends(of: F.v)
        XCTAssertEqual(friends, [F.friend2, F.stranger])
        let group = try await d.groupFacts(F.privateGroup, viewer: F.friend)
        XCTAssertEqual(group, GroupFacts(privacy: .public, viewerIsMember: false))
        let plan = try await d.planFacts(F.plan, viewer: F.v)
        XCTAssertEqual(plan, PlanFacts(viewerIsParticipant: false))
        let event = try await d.event(F.friendsEvent)
        XCTAssertEqual(event?.isActive, false)
        let catalogue = try await d.event(F.catalogueEvent)
        XCTAssertEqual(catalogue?.going, 2, "v and the stranger are going; friend's row is gone")
        let deleted = try await d.privacyLevel(of: F.asking)
        XCTAssertNil(deleted)
    }
}
