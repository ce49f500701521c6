import Foundation
import RallyPrivacy

extension InMemoryState {
    /// Applies a mutation like the SQL the product would run, and returns the changes the triggers would send.
    mutating func apply(_ mutation: DirectoryMutation) -> [DirectoryChange] {
        switch mutation {
        case .setFriendship(let row):
            let key = Pair(row.user, row.friend)
            let old = friendships.updateValue(row, forKey: key)
            return old == row ? [] : [.friendship(old == nil ? .insert : .update, a: row.user, b: row.friend,
                                                  status: row.status)]
        case .removeFriendship(let user, let friend):
            guard let old = friendships.removeValue(forKey: Pair(user, friend)) else { return [] }
            return [.friendship(.delete, a: user, b: friend, status: old.status)]
        case .setPrivacy(let user, let privacy):
            guard let old = users[user], old != privacy else { return [] }
            users[user] = privacy
            return [.user(.update, user: user, privacy: privacy)]
        case .deleteUser(let user):
            return deleteUser(user)
        case .setGroupPrivacy(let group, let privacy):
            guard let old = groups[group], old.privacy != privacy else { return [] }
            groups[group]?.privacy = privacy
            return [.group(.update, group: group, privacy: privacy)]
        case .addMember(let group, let user):
            guard groups[group] != nil, members[group, default: []].insert(user).inserted else { return [] }
            return [.groupMember(.insert, group: group, user: user)]
        case .removeMember(let group, let user):
            guard members[group]?.remove(user) != nil else { return [] }
            return [.groupMember(.delete, group: group, user: user)]
        default:
            return applyToPlansAndEvents(mutation)
        }
    }

    private mutating func applyToPlansAndEvents(_ mutation: DirectoryMutation) -> [DirectoryChange] {
        switch mutation {
        case .setParticipant(let plan, let participant):
            guard plans[plan] != nil else { return [] }
            let old = participants[plan, default: [:]].updateValue(participant.status, forKey: participant.user)
            guard old != participant.status else { return [] }
            return [.planParticipant(old == nil ? .insert : .update, plan: plan, user: participant.user,
                                     status: participant.status)]
        case .removeParticipant(let plan, let user):
            guard let old = participants[plan]?.removeValue(forKey: user) else { return [] }
            return [.planParticipant(.delete, plan: plan, user: user, status: old)]
        case .setPlanStatus(let plan, let status):
            guard let old = plans[plan], old.status != status else { return [] }
            plans[plan]?.status = status
            return [.plan(.update, plan: plan, status: status)]
        case .setEventVisibility(let event, let visibility):
            guard let old = events[event], old.visibility != visibility else { return [] }
            events[event]?.visibility = visibility
            return [.event(.update, event: event, visibility: visibility, active: old.isActive, creator: old.creator)]
        case .cancelEvent(let event):
            guard let old = events[event], old.isActive else { return [] }
            events[event]?.isActive = false
            return [.event(.update, event: event, visibility: old.visibility, active: false, creator: old.creator)]
        case .setAttendance(let event, let row):
            guard events[event] != nil else { return [] }
            let old = attendance[event, default: [:]].updateValue(row, forKey: row.user)
            guard old != row else { return [] }
            return [.attendance(old == nil ? .insert : .update, event: event, user: row.user, status: row.status,
                                visibility: row.visibility)]
        case .removeAttendance(let event, let user):
            guard let old = attendance[event]?.removeValue(forKey: user) else { return [] }
            return [.attendance(.delete, event: event, user: user, status: old.status, visibility: old.visibility)]
        default:
            return applyToLiveData(mutation)
        }
    }

    /// Deletes a user and, like `ON DELETE CASCADE`, their friendships, memberships, participations,
    /// attendance rows and notifications; their chat messages stay without an author (`ON DELETE SET NULL`).
    private mutating func deleteUser(_ user: UUID) -> [DirectoryChange] {
        guard let privacy = users.removeValue(forKey: user) else { return [] }
        var changes: [DirectoryChange] = [.user(.delete, user: user, privacy: privacy)]
        for key in friendships.keys where key.other(than: user) != nil {
            changes += apply(.removeFriendship(user: key.first, friend: key.second))
        }
        for group in members.keys where members[group]?.contains(user) == true {
            changes += apply(.removeMember(group: group, user: user))
        }
        for plan in participants.keys where participants[plan]?[user] != nil {
            changes += apply(.removeParticipant(plan: plan, user: user))
        }
        for event in attendance.keys where attendance[event]?[user] != nil {
            changes += apply(.removeAttendance(event: event, user: user))
        }
        return changes + forgetLiveData(of: user)
    }
}
