import Foundation
import RallyDirectory
import RallyPrivacy
import XCTest

/// The contract `InMemoryDirectory` and `PostgresLiveStore` both pass, on `LiveFixture.seed`.
enum LiveStoreContract {
    typealias F = ContractFixture
    typealias L = LiveFixture

    static func capacityCounts(_ h: any DirectoryHarness) async throws {
        let catalogue = try await h.live.capacity(of: F.catalogueEvent)
        XCTAssertEqual(catalogue, CapacityCounts(event: F.catalogueEvent, going: 2, interested: 1, maybe: 0,
                                                 capacity: 3))
        XCTAssertEqual(catalogue?.remaining, 1)
        XCTAssertEqual(catalogue?.isFull, false)
        try await h.apply(.setAttendance(event: F.catalogueEvent, .init(user: F.asked, status: "going",
                                                                          visibility: .public)))
        try await h.apply(.setAttendance(event: F.catalogueEvent, .init(user: F.stranger, status: "maybe",
                                                                          visibility: .private)))
        let full = try await h.live.capacity(of: F.catalogueEvent)
        XCTAssertEqual(full, CapacityCounts(event: F.catalogueEvent, going: 3, interested: 0, maybe: 1, capacity: 3))
        XCTAssertEqual(full?.remaining, 0)
        XCTAssertEqual(full?.isFull, true)
        let unlimited = try await h.live.capacity(of: F.friendsEvent)
        XCTAssertEqual(unlimited, CapacityCounts(event: F.friendsEvent, going: 0, interested: 0, maybe: 0,
                                                 capacity: nil))
        XCTAssertNil(unlimited?.remaining)
        XCTAssertEqual(unlimited?.isFull, false)
        let notGoing = try await h.live.capacity(of: F.privateEvent)
        XCTAssertEqual(notGoing?.going, 0, "not_going is not counted")
        let unknown = try await h.live.capacity(of: F.unknown)
        XCTAssertNil(unknown)
    }

    static func eventsAndPlans(_ h: any DirectoryHarness) async throws {
        let detailed = try await h.live.eventDetails(L.detailedEvent)
        XCTAssertEqual(detailed, L.detailed)
        let catalogue = try await h.live.eventDetails(F.catalogueEvent)
        XCTAssertEqual(catalogue?.title, "catalogue")
        XCTAssertNil(catalogue?.creator)
        XCTAssertEqual(catalogue?.visibility, .public)
        try await h.apply(.cancelEvent(F.catalogueEvent))
        let cancelled = try await h.live.eventDetails(F.catalogueEvent)
        XCTAssertEqual(cancelled?.isActive, false)
        let unknownEvent = try await h.live.eventDetails(F.unknown)
        XCTAssertNil(unknownEvent)

        let booked = try await h.live.plan(L.bookedPlan)
        XCTAssertEqual(booked, L.booked)
        let plain = try await h.live.plan(F.plan)
        XCTAssertEqual(plain, PlanRecord(id: F.plan, title: "plan", organizer: F.friend, status: "planning",
                                         event: nil, group: nil, startsAt: nil))
        for status in ["proposed", "booked", "confirmed", "completed"] {
            try await h.apply(.setPlanStatus(plan: F.plan, status))
            let changed = try await h.live.plan(F.plan)
            XCTAssertEqual(changed?.status, status)
        }
        let unknownPlan = try await h.live.plan(F.unknown)
        XCTAssertNil(unknownPlan)
    }

    static func notifications(_ h: any DirectoryHarness) async throws {
        let all = try await h.live.unreadNotifications(of: F.v, limit: 10)
        XCTAssertEqual(all.map(\.id), [L.oldest, L.middle, L.newest], "oldest first, read ones left out")
        XCTAssertEqual(all.last, L.notifications[3], "the whole row, data included")
        let newestTwo = try await h.live.unreadNotifications(of: F.v, limit: 2)
        XCTAssertEqual(newestTwo.map(\.id), [L.middle, L.newest], "a limit keeps the newest")
        let none = try await h.live.unreadNotifications(of: F.v, limit: 0)
        XCTAssertEqual(none, [])
        let stranger = try await h.live.unreadNotifications(of: F.unknown, limit: 10)
        XCTAssertEqual(stranger, [])
        let read = try await h.live.notification(L.read)
        XCTAssertEqual(read, L.notifications[1])
        try await h.apply(.markNotificationRead(L.middle))
        let after = try await h.live.unreadNotifications(of: F.v, limit: 10)
        XCTAssertEqual(after.map(\.id), [L.oldest, L.newest])
        let unknown = try await h.live.notification(F.unknown)
        XCTAssertNil(unknown)
    }

    static func relationshipsTowardsAUser(_ h: any DirectoryHarness) async throws {
        let towards = try await h.live.relationships(towards: F.v)
        XCTAssertEqual(towards, [
            F.friend: .friend, F.friend2: .friend, F.asked: .pendingIncoming, F.asking: .pendingOutgoing,
            F.blocked: .blockedBy, F.blocker: .blocking, F.mixed: .blocking,
        ], "strangers are absent")
        let nobody = try await h.live.relationships(towards: F.unknown)
        XCTAssertEqual(nobody, [:])
        let friend = try await h.live.relationships(towards: F.friend)
        XCTAssertEqual(friend, [F.v: .friend])
    }
}
