import XCTest
@testable import RallyLive

final class CoalescingScheduleTests: XCTestCase {
    func testFirstChangeRefreshesAtOnceAndABurstFoldsIntoOneMore() {
        var schedule = CoalescingSchedule<Int>(maxPerSecond: 4)
        XCTAssertEqual(schedule.changed(1, now: 10), .refreshNow)
        for step in 1...1000 {
            XCTAssertEqual(schedule.changed(1, now: 10 + Double(step) / 100_000), .none)
        }
        XCTAssertEqual(schedule.finished(1, now: 10.01), .refreshAt(10.25))
        XCTAssertEqual(schedule.changed(1, now: 10.1), .none)
        XCTAssertEqual(schedule.timerFired(1, now: 10.25), .refreshNow)
        XCTAssertEqual(schedule.finished(1, now: 10.26), .none)
    }

    func testRefreshesOfOneKeyStartAtLeastAnIntervalApart() {
        var schedule = CoalescingSchedule<Int>(maxPerSecond: 2)
        XCTAssertEqual(schedule.changed(7, now: 0), .refreshNow)
        XCTAssertEqual(schedule.finished(7, now: 0.1), .none)
        XCTAssertEqual(schedule.changed(7, now: 0.2), .refreshAt(0.5))
        XCTAssertEqual(schedule.changed(7, now: 0.3), .none)
        XCTAssertEqual(schedule.timerFired(7, now: 0.5), .refreshNow)
        XCTAssertEqual(schedule.finished(7, now: 0.6), .none)
        XCTAssertEqual(schedule.changed(7, now: 1.2), .refreshNow)
    }

    func testKeysAreIndependent() {
        var schedule = CoalescingSchedule<Int>(maxPerSecond: 1)
        XCTAssertEqual(schedule.changed(1, now: 0), .refreshNow)
        XCTAssertEqual(schedule.changed(2, now: 0), .refreshNow)
        XCTAssertEqual(schedule.changed(1, now: 0.1), .none)
        XCTAssertEqual(schedule.finished(2, now: 0.1), .none)
    }

    func testForgottenKeyIgnoresItsTimer() {
        var schedule = CoalescingSchedule<Int>(maxPerSecond: 1)
        XCTAssertEqual(schedule.changed(1, now: 0), .refreshNow)
        XCTAssertEqual(schedule.finished(1, now: 0.1), .none)
        XCTAssertEqual(schedule.changed(1, now: 0.2), .refreshAt(1))
        schedule.forget(1)
        XCTAssertEqual(schedule.timerFired(1, now: 1), .none)
        XCTAssertEqual(schedule.changed(1, now: 1.1), .refreshNow)
    }

    func testBoundedRefreshCountUnderASustainedBurst() {
        var schedule = CoalescingSchedule<Int>(maxPerSecond: 5)
        var refreshes = 0
        var timer: Double?
        var time = 0.0
        while time < 10 {
            if let due = timer, due <= time {
                timer = nil
                if schedule.timerFired(1, now: time) == .refreshNow {
                    refreshes += 1
                    if case .refreshAt(let at) = schedule.finished(1, now: time) { timer = at }
                }
            }
            switch schedule.changed(1, now: time) {
            case .refreshNow:
                refreshes += 1
                if case .refreshAt(let at) = schedule.finished(1, now: time) { timer = at }
            case .refreshAt(let at): timer = at
            case .none: break
            }
            time += 0.0001
        }
        XCTAssertLessThanOrEqual(refreshes, 51)
        XCTAssertGreaterThanOrEqual(refreshes, 45)
    }
}
