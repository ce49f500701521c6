import Foundation
import RallyPrivacy

extension InMemoryState {
    /// The live-data mutations (events, plans, notifications), reported as the triggers report them.
    mutating func applyToLiveData(_ mutation: DirectoryMutation) -> [DirectoryChange] {
        switch mutation {
        case .createEvent(let details, let capacity):
            guard events[details.id] == nil else { return [] }
            events[details.id] = EventRow(creator: details.creator, visibility: details.visibility,
                                          isActive: details.isActive, capacity: capacity)
            events[details.id]?.setDetails(details)
            return [eventChange(.insert, details.id)]
        case .updateEvent(let details):
            guard let old = events[details.id] else { return [] }
            events[details.id]?.setDetails(details)
            return old == events[details.id] ? [] : [eventChange(.update, details.id)]
        case .setEventCapacity(let event, let capacity):
            guard let old = events[event], old.capacity != capacity else { return [] }
            events[event]?.capacity = capacity
            return [eventChange(.update, event)]
        case .createPlan(let plan):
            guard plans[plan.id] == nil, users[plan.organizer] != nil else { return [] }
            plans[plan.id] = PlanRow(organizer: plan.organizer, status: plan.status, title: plan.title,
                                     event: plan.event, group: plan.group, startsAt: plan.startsAt)
            return [.plan(.insert, plan: plan.id, status: plan.status)]
        case .insertNotification(let record):
            guard notifications[record.id] == nil, users[record.user] != nil else { return [] }
            notifications[record.id] = record
            return [.notification(.insert, id: record.id, user: record.user, inline: record)]
        case .markNotificationRead(let id):
            guard var record = notifications[id], !record.isRead else { return [] }
            record.isRead = true
            notifications[id] = record
            return [.notification(.update, id: id, user: record.user, inline: record)]
        default:
            return []
        }
    }

    /// The change the events trigger sends for the event as it is now.
    private func eventChange(_ operation: ChangeOperation, _ event: UUID) -> DirectoryChange {
        let row = events[event]
        return .event(operation, event: event, visibility: row?.visibility ?? .private, active: row?.isActive ?? false,
                      creator: row?.creator)
    }

    /// Stores a chat message with the next id; nil when the group (or the named author) does not exist.
    mutating func store(_ message: NewMessage, now: Date) -> StoredMessage? {
        guard groups[message.group] != nil, message.user.map({ users[$0] != nil }) ?? true else { return nil }
        lastMessageID += 1
        lastMessageDate = max(now, lastMessageDate.addingTimeInterval(0.000_001))
        let stored = StoredMessage(id: lastMessageID, group: message.group, user: message.user, body: message.body,
                                   metadataJSON: message.metadataJSON, createdAt: lastMessageDate)
        messages[message.group, default: []].append(stored)
        messageGroups[stored.id] = message.group
        return stored
    }

    /// A deleted user's notifications go (reported by id, as the trigger does on delete); their messages stay
    /// without an author (no change is reported: the trigger only watches `body`).
    mutating func forgetLiveData(of user: UUID) -> [DirectoryChange] {
        let gone = notifications.values.filter { $0.user == user }
        for record in gone { notifications[record.id] = nil }
        for (group, list) in messages {
            messages[group] = list.map { message in
                var message = message
                if message.user == user { message.user = nil }
                return message
            }
        }
        return gone.map { .notification(.delete, id: $0.id, user: user) }
    }
}

extension InMemoryState.EventRow {
    mutating func setDetails(_ details: EventDetails) {
        title = details.title
        startsAt = details.startsAt
        endsAt = details.endsAt
        locationName = details.locationName
        locationAddress = details.locationAddress
        isActive = details.isActive
        visibility = details.visibility
        creator = details.creator
    }

    func details(id: UUID) -> EventDetails {
        EventDetails(id: id, title: title, startsAt: startsAt, endsAt: endsAt, locationName: locationName,
                     locationAddress: locationAddress, isActive: isActive, visibility: visibility, creator: creator)
    }
}
