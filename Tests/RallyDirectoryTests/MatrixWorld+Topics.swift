import Foundation
import RallyDirectory
import RallyPrivacy

extension MatrixWorld {
    mutating func addProfiles() {
        for privacy in PrivacyLevel.allCases {
            for relationship in Relationship.allCases {
                let owner = person(privacy)
                let who = viewer(relationship, to: owner)
                join("profile \(privacy) \(relationship)", .signedIn(who), .profile(owner),
                     .profile(ProfileFacts(ownerPrivacy: privacy, relationship: relationship)))
                if relationship == .stranger {
                    roles("profile \(privacy)", .profile(owner),
                          anonFacts: .profile(ProfileFacts(ownerPrivacy: privacy, relationship: .stranger)))
                }
            }
        }
        join("profile unknown", .signedIn(person()), .profile(newID()), .profile(nil))
    }

    mutating func addOwnerTopics() {
        let owner = person()
        let other = viewer(.friend, to: owner)
        for topic in [Topic.feed(owner), .user(owner)] {
            join("\(topic.kind) owner", .signedIn(owner), topic, .none)
            join("\(topic.kind) friend", .signedIn(other), topic, .none)
            roles("\(topic.kind)", topic, anonFacts: .none)
        }
    }

    mutating func addEvents() {
        for visibility in ItemVisibility.allCases {
            for creatorRelationship in [nil] + Relationship.allCases.map(Optional.some) {
                for attends in [false, true] {
                    addEvent(visibility: visibility, creatorRelationship: creatorRelationship, attends: attends)
                }
            }
        }
        join("event unknown", .signedIn(person()), .event(newID()), .event(nil))
    }

    private mutating func addEvent(visibility: ItemVisibility, creatorRelationship: Relationship?, attends: Bool) {
        let id = newID()
        let creator = creatorRelationship == nil ? nil : person()
        let who: UUID
        if let creator { who = viewer(creatorRelationship ?? .stranger, to: creator) } else { who = person() }
        let attendance = attends ? [DirectorySeed.Attendance(user: who, status: "maybe", visibility: .private)] : []
        seed.events.append(.init(id: id, title: "e", creator: creator, visibility: visibility, attendance: attendance))
        let label = "event \(visibility) creator \(creatorRelationship.map { "\($0)" } ?? "none") attends \(attends)"
        join(label, .signedIn(who), .event(id), .event(EventFacts(visibility: visibility,
                                                                      creator: creatorRelationship,
                                                                      viewerAttends: attends)))
        roles(label, .event(id), anonFacts: .event(EventFacts(visibility: visibility,
                                                              creator: creator.map { _ in .stranger },
                                                              viewerAttends: false)))
    }

    mutating func addGroups() {
        for privacy in PrivacyLevel.allCases {
            let owner = person(), member = person(), outsider = person()
            let id = newID()
            seed.groups.append(.init(id: id, name: "g", createdBy: owner, privacy: privacy, members: [owner, member]))
            join("group \(privacy) member", .signedIn(member), .group(id),
                 .group(GroupFacts(privacy: privacy, viewerIsMember: true)))
            join("group \(privacy) non-member", .signedIn(outsider), .group(id),
                 .group(GroupFacts(privacy: privacy, viewerIsMember: false)))
            roles("group \(privacy)", .group(id), anonFacts: .group(GroupFacts(privacy: privacy, viewerIsMember: false)))
        }
        join("group unknown", .signedIn(person()), .group(newID()), .group(nil))
    }

    mutating func addPlans() {
        let organizer = person(), id = newID()
        var participants: [DirectorySeed.Participant] = []
        join("plan organizer", .signedIn(organizer), .plan(id), .plan(PlanFacts(viewerIsParticipant: true)))
        for status in ["invited", "accepted", "declined"] {
            let user = person()
            participants.append(.init(user: user, status: status))
            join("plan \(status)", .signedIn(user), .plan(id), .plan(PlanFacts(viewerIsParticipant: status != "declined")))
        }
        join("plan non-participant", .signedIn(person()), .plan(id), .plan(PlanFacts(viewerIsParticipant: false)))
        roles("plan", .plan(id), anonFacts: .plan(PlanFacts(viewerIsParticipant: false)))
        seed.plans.append(.init(id: id, title: "p", organizer: organizer, participants: participants))
        join("plan unknown", .signedIn(person()), .plan(newID()), .plan(nil))
    }

    /// An actor of every privacy level, a viewer in every relationship, items of every visibility.
    mutating func addItems() {
        for privacy in PrivacyLevel.allCases {
            for relationship in Relationship.allCases {
                let actor = person(privacy)
                let who = viewer(relationship, to: actor)
                for visibility in ItemVisibility.allCases {
                    let label = "item actor \(privacy) \(relationship) \(visibility)"
                    let expected = ItemRule.visible(actorPrivacy: privacy, itemVisibility: visibility,
                                                    relationship: relationship, viewer: .authenticated)
                    items.append(ItemCase(label: label, actor: actor, visibility: visibility,
                                          viewer: .signedIn(who), expected: expected))
                    items.append(ItemCase(label: label + " anon", actor: actor, visibility: visibility,
                                          viewer: .anonymous, expected: false))
                    items.append(ItemCase(label: label + " service", actor: actor, visibility: visibility,
                                          viewer: .service(), expected: true))
                }
            }
        }
    }
}
