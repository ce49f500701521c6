import Foundation
import RallyAccess
import RallyAuth
import RallyDirectory
import RallyHub
import RallyPrivacy
import XCTest

/// Which joined topics a directory change sends back to the rules, and how a token becomes a viewer.
final class RevocationScopeTests: XCTestCase {
    let a = DemoData.alice, b = DemoData.bob, c = DemoData.carol
    let group = DemoData.rooftopCrew, plan = DemoData.fridayDinner, event = DemoData.aliceBirthday

    func id(_ uuid: UUID) -> String { uuid.uuidString.lowercased() }

    func testFriendshipChangesTouchBothProfilesAndEveryEvent() {
        let change = DirectoryChange.friendship(.delete, a: a, b: b, status: .accepted)
        XCTAssertTrue(RevocationScope.affects(change, subtopic: "profile:\(id(a))"))
        XCTAssertTrue(RevocationScope.affects(change, subtopic: "profile:\(id(b))"))
        XCTAssertTrue(RevocationScope.affects(change, subtopic: "event:\(id(event))"))
        XCTAssertFalse(RevocationScope.affects(change, subtopic: "profile:\(id(c))"))
        XCTAssertFalse(RevocationScope.affects(change, subtopic: "group:\(id(group))"))
        XCTAssertFalse(RevocationScope.affects(change, subtopic: "lobby"))
        XCTAssertFalse(RevocationScope.affects(change, subtopic: "feed:\(id(a))"))
        XCTAssertFalse(RevocationScope.affects(change, subtopic: "event:\(id(event).uppercased())"), "malformed")
    }

    func testAFriendshipConcernsOnlyTheTwoPeoplesChannels() {
        let change = DirectoryChange.friendship(.delete, a: a, b: b, status: .accepted)
        XCTAssertTrue(RevocationScope.affects(change, subtopic: "profile:\(id(a))", subject: id(b)))
        XCTAssertTrue(RevocationScope.affects(change, subtopic: "profile:\(id(b))", subject: a.uuidString))
        XCTAssertFalse(RevocationScope.affects(change, subtopic: "profile:\(id(a))", subject: id(a)), "own profile")
        XCTAssertFalse(RevocationScope.affects(change, subtopic: "profile:\(id(a))", subject: id(c)), "a third person")
        XCTAssertTrue(RevocationScope.affects(change, subtopic: "event:\(id(event))", subject: id(a)))
        XCTAssertTrue(RevocationScope.affects(change, subtopic: "event:\(id(event))", subject: id(b)))
        XCTAssertFalse(RevocationScope.affects(change, subtopic: "event:\(id(event))", subject: id(c)))
        XCTAssertFalse(RevocationScope.affects(change, subtopic: "event:\(id(event))", subject: ""), "no sub")
        XCTAssertFalse(RevocationScope.affects(change, subtopic: "event:\(id(event))", subject: "user-1"))
        XCTAssertEqual(RevocationScope.channels(for: change), ChannelScope(subjects: [id(a), id(b)]))
    }

    func testWhereToLookFollowsTheChange() {
        XCTAssertNil(RevocationScope.channels(for: .notification(.insert, id: UUID(), user: a)))
        XCTAssertNil(RevocationScope.channels(for: .attendance(.insert, event: event, user: a, status: "going",
                                                              visibility: .public)), "an RSVP revokes nothing")
        XCTAssertEqual(RevocationScope.channels(for: .resync), .every)
        XCTAssertEqual(RevocationScope.channels(for: .groupMember(.delete, group: group, user: b)),
                       ChannelScope(subtopics: ["group:\(id(group))"]))
        XCTAssertEqual(RevocationScope.channels(for: .user(.update, user: a, privacy: .private)),
                       ChannelScope(subtopics: ["profile:\(id(a))"], kinds: ["event"]))
    }

    /// Location topics follow their plan's rows and their owner's friendships.
    func testLocationTopicsAreRevokedWithThePlanAndTheFriendship() {
        let friendship = DirectoryChange.friendship(.delete, a: a, b: b, status: .accepted)
        XCTAssertTrue(RevocationScope.affects(friendship, subtopic: "location:friends:\(id(a))", subject: id(b)))
        XCTAssertTrue(RevocationScope.affects(friendship, subtopic: "location:friends:\(id(b))", subject: id(a)))
        XCTAssertFalse(RevocationScope.affects(friendship, subtopic: "location:friends:\(id(a))", subject: id(c)))
        XCTAssertFalse(RevocationScope.affects(friendship, subtopic: "location:friends:\(id(c))", subject: id(a)))
        let left = DirectoryChange.planParticipant(.delete, plan: plan, user: b, status: "accepted")
        XCTAssertTrue(RevocationScope.affects(left, subtopic: "location:plan:\(id(plan))"))
        XCTAssertFalse(RevocationScope.affects(left, subtopic: "location:plan:\(id(UUID()))"))
        XCTAssertEqual(RevocationScope.channels(for: left),
                       ChannelScope(subtopics: ["plan:\(id(plan))", "location:plan:\(id(plan))"]))
        XCTAssertFalse(RevocationScope.affects(.user(.update, user: a, privacy: .private),
                                               subtopic: "location:friends:\(id(a))"), "privacy level plays no part")
    }

    func testMembershipPlanAndEventChangesTouchTheirOwnTopic() {
        XCTAssertTrue(RevocationScope.affects(.groupMember(.delete, group: group, user: b), subtopic: "group:\(id(group))"))
        XCTAssertFalse(RevocationScope.affects(.groupMember(.delete, group: group, user: b),
                                               subtopic: "group:\(id(DemoData.jazzLovers))"))
        XCTAssertTrue(RevocationScope.affects(.group(.update, group: group, privacy: .private),
                                              subtopic: "group:\(id(group))"))
        XCTAssertTrue(RevocationScope.affects(.planParticipant(.update, plan: plan, user: c, status: "declined"),
                                              subtopic: "plan:\(id(plan))"))
        XCTAssertTrue(RevocationScope.affects(.event(.update, event: event, visibility: .private, active: true),
                                              subtopic: "event:\(id(event))"))
        XCTAssertTrue(RevocationScope.affects(.user(.update, user: a, privacy: .private), subtopic: "profile:\(id(a))"))
        XCTAssertFalse(RevocationScope.affects(.user(.update, user: a, privacy: .private), subtopic: "feed:\(id(a))"))
    }

    func testResyncTouchesEveryWellFormedTopicAndLiveDataNone() {
        XCTAssertTrue(RevocationScope.affects(.resync, subtopic: "lobby"))
        XCTAssertTrue(RevocationScope.affects(.resync, subtopic: "user:\(id(a))"))
        XCTAssertFalse(RevocationScope.affects(.notification(.insert, id: UUID(), user: a), subtopic: "user:\(id(a))"))
        XCTAssertFalse(RevocationScope.affects(.groupMessage(.insert, id: 1, group: group), subtopic: "group:\(id(group))"))
        XCTAssertFalse(RevocationScope.affects(.plan(.update, plan: plan, status: "done"), subtopic: "plan:\(id(plan))"))
    }

    func testViewerFromIdentity() {
        let expiry = Date()
        let user = Identity(role: .authenticated, rawRole: "authenticated", subject: id(a).uppercased(), expiresAt: expiry)
        XCTAssertEqual(DirectoryAuthorizer.viewer(of: user), .signedIn(a))
        let odd = Identity(role: .authenticated, rawRole: "authenticated", subject: "user-1", expiresAt: expiry)
        XCTAssertEqual(DirectoryAuthorizer.viewer(of: odd), ViewerIdentity(role: .authenticated, userID: nil))
        let service = Identity(role: .serviceRole, rawRole: "service_role", subject: nil, expiresAt: expiry)
        XCTAssertEqual(DirectoryAuthorizer.viewer(of: service), .service())
        let anon = Identity(role: .anon, rawRole: "anon", subject: id(a), expiresAt: expiry)
        XCTAssertEqual(DirectoryAuthorizer.viewer(of: anon), .anonymous)
    }

    func testAnAttendanceRowConcernsOnlyItsAttendeeAndOnlyWhenRemoved() {
        let event = UUID(), attendee = UUID(), other = UUID()
        let insert = DirectoryChange.attendance(.insert, event: event, user: attendee, status: "going", visibility: .public)
        let delete = DirectoryChange.attendance(.delete, event: event, user: attendee, status: "going", visibility: .public)
        XCTAssertFalse(insert.mayRevoke, "an RSVP never takes a right away")
        XCTAssertFalse(RevocationScope.affects(insert, subtopic: "event:\(id(event))", subject: id(attendee)))
        XCTAssertTrue(RevocationScope.affects(delete, subtopic: "event:\(id(event))", subject: id(attendee)))
        XCTAssertTrue(RevocationScope.affects(delete, subtopic: "event:\(id(event))", subject: attendee.uuidString))
        XCTAssertFalse(RevocationScope.affects(delete, subtopic: "event:\(id(event))", subject: id(other)))
        XCTAssertTrue(RevocationScope.affects(delete, subtopic: "event:\(id(event))", subject: nil),
                      "a channel whose user is not known yet is re-checked")
    }

    /// The parsed form (what the hub's channels are asked with) answers exactly as the subtopic text does.
    func testTheParsedTopicAnswersAsItsText() {
        let changes: [DirectoryChange] = [
            .resync, .friendship(.delete, a: a, b: b, status: .accepted),
            .user(.update, user: a, privacy: .private), .groupMember(.delete, group: group, user: b),
            .planParticipant(.delete, plan: plan, user: b, status: "going"),
            .event(.update, event: event, visibility: .private, active: true, creator: a),
            .attendance(.delete, event: event, user: b, status: "going", visibility: .public),
            .groupMessage(.insert, id: 1, group: group),
        ]
        let subtopics = ["profile:\(id(a))", "profile:\(id(b))", "event:\(id(event))", "group:\(id(group))",
                         "plan:\(id(plan))", "location:plan:\(id(plan))", "location:friends:\(id(a))", "lobby",
                         "feed:\(id(a))", "event:\(id(event).uppercased())"]
        for change in changes {
            for subtopic in subtopics {
                for subject in [nil, "", id(a), id(b), id(c), "user-1"] as [String?] {
                    XCTAssertEqual(
                        RevocationScope.affects(change, topic: try? Topic.parse(subtopic).get(), subject: subject),
                        RevocationScope.affects(change, subtopic: subtopic, subject: subject),
                        "\(change) \(subtopic) \(subject ?? "nil")")
                }
            }
        }
    }
}
