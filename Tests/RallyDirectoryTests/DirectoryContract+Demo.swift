import Foundation
import RallyDirectory
import RallyPrivacy
import XCTest

/// The demo data shows the rules end to end (directory facts → join and item decisions), on both implementations.
extension DirectoryContract {
    typealias D = DemoData

    static let demoJoins: [(ViewerIdentity, String, JoinDecision)] = [
        (.signedIn(D.bob), "profile:\(D.alice)", .allow(.readOnly)),
        (.signedIn(D.dave), "profile:\(D.alice)", .deny(.notAllowed)),
        (.signedIn(D.alice), "profile:\(D.alice)", .allow(.full)),
        (.signedIn(D.bob), "profile:\(D.carol)", .deny(.notAllowed)),
        (.signedIn(D.erin), "profile:\(D.dave)", .deny(.blocked)),
        (.signedIn(D.dave), "profile:\(D.erin)", .deny(.blocked)),
        (.signedIn(D.alice), "profile:\(D.bob)", .allow(.readOnly)),
        (.anonymous, "profile:\(D.bob)", .deny(.signInRequired)),
        (.service(), "profile:\(D.carol)", .allow(.full)),
        (.anonymous, "event:\(D.jazzInThePark)", .allow(.readOnly)),
        (.signedIn(D.dave), "event:\(D.aliceBirthday)", .deny(.notAllowed)),
        (.signedIn(D.bob), "event:\(D.aliceBirthday)", .allow(.readOnly)),
        (.signedIn(D.alice), "event:\(D.carolBookClub)", .allow(.readOnly)),
        (.signedIn(D.bob), "event:\(D.carolBookClub)", .deny(.notAllowed)),
        (.anonymous, "event:\(D.bobOpenStudio)", .allow(.readOnly)),
        (.signedIn(D.bob), "group:\(D.rooftopCrew)", .allow(.full)),
        (.signedIn(D.dave), "group:\(D.rooftopCrew)", .deny(.notAllowed)),
        (.signedIn(D.alice), "group:\(D.jazzLovers)", .allow(.readOnly)),
        (.signedIn(D.carol), "plan:\(D.fridayDinner)", .allow(.full)),
        (.signedIn(D.dave), "plan:\(D.fridayDinner)", .deny(.notAllowed)),
        (.signedIn(D.bob), "feed:\(D.bob)", .allow(.full)),
        (.signedIn(D.alice), "feed:\(D.bob)", .deny(.notAllowed)),
        (.signedIn(D.bob), "lobby", .allow(.full)),
        (.anonymous, "lobby", .deny(.signInRequired)),
        (.signedIn(D.bob), "event:nope", .deny(.malformedTopic)),
    ]

    static func demoJoinDecisions(_ d: any Directory) async throws {
        for (viewer, topic, expected) in demoJoins {
            let subtopic = topic.lowercased()
            let got = try await d.decideJoin(subtopic: subtopic, viewer: viewer)
            XCTAssertEqual(got, expected, "\(viewer.role) \(String(describing: viewer.userID)) joining \(subtopic)")
        }
    }

    /// Alice (friends_only) going to the jazz concert with `friends` visibility reaches Bob, not Dave; Dave's
    /// public RSVP reaches Alice but not Erin (blocked).
    static func demoItemFiltering(_ d: any Directory) async throws {
        let cases: [(UUID, ItemVisibility, UUID, Bool)] = [
            (D.alice, .friends, D.bob, true), (D.alice, .friends, D.dave, false),
            (D.alice, .friends, D.alice, true), (D.alice, .public, D.dave, false),
            (D.dave, .public, D.alice, true), (D.dave, .public, D.erin, false),
            (D.bob, .public, D.carol, true), (D.bob, .friends, D.carol, false),
            (D.carol, .public, D.bob, false),
        ]
        for (actor, visibility, viewer, expected) in cases {
            let item = try await d.itemFacts(actor: actor, visibility: visibility, viewer: .signedIn(viewer))
            let got = ItemRule.visible(item, on: .profile, viewer: .authenticated)
            XCTAssertEqual(got, expected, "\(actor)'s \(visibility) item to \(viewer)")
        }
        let demoFriends = try await d.acceptedFriends(of: D.alice)
        XCTAssertEqual(demoFriends, [D.bob])
    }
}
