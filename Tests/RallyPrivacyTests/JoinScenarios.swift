import Foundation
import RallyPrivacy

/// One cell of a join table: who joins which topic, with which directory facts.
struct JoinCase {
    var topic: Topic
    var viewer: ViewerIdentity
    var facts: TopicFacts
    var policy = JoinPolicy()
}

/// The join tables' rows and columns as cases.
enum JoinScenarios {
    typealias Build = @Sendable (_ row: String, _ column: String) throws -> JoinCase

    static let builders: [String: Build] = [
        "join-event": event, "join-group": group, "join-plan": plan, "join-owner": owner,
        "join-profile": profile, "join-free-form": freeForm, "join-malformed": malformed,
        "join-location-plan": locationPlan, "join-location-friends": locationFriends,
    ]

    /// Every row and column each join table must have: the whole matrix, not a sample.
    static let expectedAxes: [String: (rows: [String], columns: [String])] = [
        "join-event": (eventRows.keys.sorted(), ["public", "friends", "private", "no such event"]),
        "join-group": (["service_role", "anon", "member", "non-member"],
                       ["private", "friends_only", "public", "no such group"]),
        "join-plan": (["service_role", "anon", "participant", "non-participant"], ["plan exists", "no such plan"]),
        "join-owner": (["service_role", "anon", "self", "accepted friend", "stranger", "blocked"], ["feed", "user"]),
        "join-profile": (["service_role", "anon", "self", "accepted friend", "pending, viewer asked",
                          "pending, owner asked", "viewer blocked owner", "owner blocked viewer", "stranger"],
                         ["private", "friends_only", "public", "no such user"]),
        "join-free-form": (["service_role", "anon", "signed in"], ["default", "anon allowed"]),
        "join-location-plan": (["service_role", "anon", "participant", "non-participant"],
                               ["plan exists", "no such plan"]),
        "join-location-friends": (["service_role", "anon", "self", "accepted friend", "pending, viewer asked",
                                   "pending, owner asked", "viewer blocked owner", "owner blocked viewer",
                                   "stranger"], ["user exists", "no such user"]),
    ]

    /// event rows: (creator relationship or nil for a catalogue event, has an attendance row).
    static let eventRows: [String: (creator: Relationship?, attends: Bool)] = [
        "service_role": (.stranger, false),
        "anon": (.stranger, false),
        "anon, catalogue event": (nil, false),
        "creator (self)": (.oneself, false),
        "accepted friend of creator": (.friend, false),
        "pending, viewer asked": (.pendingOutgoing, false),
        "pending, creator asked": (.pendingIncoming, false),
        "viewer blocked creator": (.blocking, false),
        "creator blocked viewer": (.blockedBy, false),
        "stranger": (.stranger, false),
        "stranger with attendance row": (.stranger, true),
        "blocked, with attendance row": (.blockedBy, true),
        "signed in, catalogue event": (nil, false),
        "signed in, catalogue event, attendance row": (nil, true),
    ]

    static func event(_ row: String, _ column: String) throws -> JoinCase {
        guard let shape = eventRows[row] else { throw Scenarios.UnknownLabel(table: "join-event", label: row) }
        let viewer = Scenarios.viewer(row)
        if column == "no such event" {
            return JoinCase(topic: .event(Scenarios.objectID), viewer: viewer, facts: .event(nil))
        }
        let visibility = try Scenarios.visibility(column, table: "join-event")
        let facts = EventFacts(visibility: visibility, creator: shape.creator, viewerAttends: shape.attends)
        return JoinCase(topic: .event(Scenarios.objectID), viewer: viewer, facts: .event(facts))
    }

    static func group(_ row: String, _ column: String) throws -> JoinCase {
        let viewer = Scenarios.viewer(row)
        let topic = Topic.group(Scenarios.objectID)
        if column == "no such group" { return JoinCase(topic: topic, viewer: viewer, facts: .group(nil)) }
        let privacy = try Scenarios.privacy(column, table: "join-group")
        let member = row == "member" || row == "service_role"
        guard ["service_role", "anon", "member", "non-member"].contains(row) else {
            throw Scenarios.UnknownLabel(table: "join-group", label: row)
        }
        return JoinCase(topic: topic, viewer: viewer, facts: .group(GroupFacts(privacy: privacy, viewerIsMember: member)))
    }

    static func plan(_ row: String, _ column: String) throws -> JoinCase {
        guard ["service_role", "anon", "participant", "non-participant"].contains(row) else {
            throw Scenarios.UnknownLabel(table: "join-plan", label: row)
        }
        let facts: TopicFacts = column == "no such plan" ? .plan(nil)
            : .plan(PlanFacts(viewerIsParticipant: row == "participant"))
        return JoinCase(topic: .plan(Scenarios.objectID), viewer: Scenarios.viewer(row), facts: facts)
    }

    static func owner(_ row: String, _ column: String) throws -> JoinCase {
        let ownerID = Scenarios.otherID
        let topic: Topic
        switch column {
        case "feed": topic = .feed(ownerID)
        case "user": topic = .user(ownerID)
        default: throw Scenarios.UnknownLabel(table: "join-owner", label: column)
        }
        return JoinCase(topic: topic, viewer: Scenarios.viewer(row, ownerID: ownerID), facts: .none)
    }

    static func profile(_ row: String, _ column: String) throws -> JoinCase {
        let ownerID = Scenarios.otherID
        let topic = Topic.profile(ownerID)
        let viewer = Scenarios.viewer(row, ownerID: ownerID)
        if column == "no such user" { return JoinCase(topic: topic, viewer: viewer, facts: .profile(nil)) }
        let privacy = try Scenarios.privacy(column, table: "join-profile")
        let relationship = viewer.isSignedIn && !viewer.isService
            ? try Scenarios.relationship(row, table: "join-profile") : .stranger
        return JoinCase(topic: topic, viewer: viewer,
                        facts: .profile(ProfileFacts(ownerPrivacy: privacy, relationship: relationship)))
    }

    static func locationPlan(_ row: String, _ column: String) throws -> JoinCase {
        var join = try plan(row, column)
        join.topic = .locationPlan(Scenarios.objectID)
        return join
    }

    static func locationFriends(_ row: String, _ column: String) throws -> JoinCase {
        let ownerID = Scenarios.otherID
        let topic = Topic.locationFriends(ownerID)
        let viewer = Scenarios.viewer(row, ownerID: ownerID)
        if column == "no such user" { return JoinCase(topic: topic, viewer: viewer, facts: .profile(nil)) }
        guard column == "user exists" else {
            throw Scenarios.UnknownLabel(table: "join-location-friends", label: column)
        }
        let relationship = viewer.isSignedIn && !viewer.isService
            ? try Scenarios.relationship(row, table: "join-location-friends") : .stranger
        return JoinCase(topic: topic, viewer: viewer,
                        facts: .profile(ProfileFacts(ownerPrivacy: .public, relationship: relationship)))
    }

    static func freeForm(_ row: String, _ column: String) throws -> JoinCase {
        guard ["default", "anon allowed"].contains(column) else {
            throw Scenarios.UnknownLabel(table: "join-free-form", label: column)
        }
        let policy = JoinPolicy(allowAnonymousFreeForm: column == "anon allowed")
        return JoinCase(topic: .freeForm("lobby"), viewer: Scenarios.viewer(row), facts: .none, policy: policy)
    }

    /// Malformed topics are checked through `JoinRule.decide(subtopic:)`; the topic here is a placeholder.
    static func malformed(_ row: String, _ column: String) throws -> JoinCase {
        JoinCase(topic: .freeForm(column), viewer: Scenarios.viewer(row), facts: .none)
    }
}
