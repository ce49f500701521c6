import Foundation
import RallyDirectory
import RallyPrivacy

/// The contract fixture with live data added: notifications, an event and a plan with every detail, and the
/// live-data mutations the change contract runs.
enum LiveFixture {
    typealias F = ContractFixture

    static let t0 = Date(timeIntervalSince1970: 1_900_000_000)
    static let detailedEvent = F.id(304), bookedPlan = F.id(202)
    static let createdEvent = F.id(305), createdPlan = F.id(203), createdNotification = F.id(405)
    static let oldest = F.id(401), read = F.id(402), middle = F.id(403), newest = F.id(404), friends = F.id(406)

    static let detailed = EventDetails(
        id: detailedEvent, title: "detailed", startsAt: t0, endsAt: t0.addingTimeInterval(3 * 3600),
        locationName: "Pier 3", locationAddress: "1 Harbour Road", isActive: true, visibility: .public,
        creator: F.friend)

    static let booked = PlanRecord(id: bookedPlan, title: "booked", organizer: F.v, status: "booked",
                                   event: detailedEvent, group: F.privateGroup, startsAt: t0)

    static func note(_ id: UUID, user: UUID = F.v, minutes: Double, read: Bool = false,
                     data: String = "{}") -> NotificationRecord {
        NotificationRecord(id: id, user: user, type: "plan_update", title: "title \(minutes)", message: "message",
                           dataJSON: data, isRead: read, createdAt: t0.addingTimeInterval(minutes * 60))
    }

    static let notifications = [
        note(oldest, minutes: 0), note(read, minutes: 1, read: true), note(middle, minutes: 2),
        note(newest, minutes: 3, data: #"{"plan": "booked", "seats": 2}"#), note(friends, user: F.friend, minutes: 0),
    ]

    static let seed: DirectorySeed = {
        var seed = ContractFixture.seed
        seed.events.append(.init(id: detailedEvent, title: detailed.title, creator: F.friend, visibility: .public,
                                 startsAt: detailed.startsAt, endsAt: detailed.endsAt,
                                 locationName: detailed.locationName, locationAddress: detailed.locationAddress))
        seed.plans.append(.init(id: bookedPlan, title: "booked", organizer: F.v, status: "booked", participants: [],
                                event: detailedEvent, group: F.privateGroup, startsAt: t0))
        seed.notifications = notifications
        return seed
    }()

    static let created = EventDetails(
        id: createdEvent, title: "picnic", startsAt: t0, endsAt: nil, locationName: "Park", locationAddress: nil,
        isActive: true, visibility: .friends, creator: F.v)
    static let renamed: EventDetails = {
        var details = created
        details.title = "picnic (moved)"
        details.locationName = "Beach"
        details.endsAt = t0.addingTimeInterval(7200)
        return details
    }()
    static let createdRecord = note(createdNotification, minutes: 10, data: #"{"event": "picnic"}"#)
    static let createdRecordRead: NotificationRecord = {
        var record = createdRecord
        record.isRead = true
        return record
    }()

    typealias Step = DirectoryContract.Step

    /// The live-data mutations and the changes both implementations report for them.
    static let steps: [Step] = [
        Step(mutation: .createEvent(created, capacity: 5),
             changes: [.event(.insert, event: createdEvent, visibility: .friends, active: true, creator: F.v)]),
        Step(mutation: .setEventCapacity(event: createdEvent, 6),
             changes: [.event(.update, event: createdEvent, visibility: .friends, active: true, creator: F.v)]),
        Step(mutation: .updateEvent(renamed),
             changes: [.event(.update, event: createdEvent, visibility: .friends, active: true, creator: F.v)]),
        Step(mutation: .createPlan(PlanRecord(id: createdPlan, title: "new", organizer: F.v, status: "proposed",
                                              event: createdEvent, group: F.privateGroup, startsAt: t0)),
             changes: [.plan(.insert, plan: createdPlan, status: "proposed")]),
        Step(mutation: .insertNotification(createdRecord),
             changes: [.notification(.insert, id: createdNotification, user: F.v, inline: createdRecord)]),
        Step(mutation: .markNotificationRead(createdNotification),
             changes: [.notification(.update, id: createdNotification, user: F.v, inline: createdRecordRead)]),
        Step(mutation: .markNotificationRead(createdNotification), changes: []),
    ]
}
