import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
@testable import RallyServer
import RallyTestSupport
import XCTest

/// When a node hands freed heap back to the kernel: after the open sockets fell far enough from their high and
/// stayed down long enough, once per drop.
final class IdleTrimTests: XCTestCase {
    private let second: Int64 = 1_000_000_000

    func testNoTrimWhileTheCountOnlyGrowsOrDipsALittle() {
        var trigger = IdleTrimTrigger(idle: 5 * second, minimumDrop: 1_000, connections: 0)
        for step in 0..<100 {
            XCTAssertFalse(trigger.observe(connections: step * 100, now: Int64(step) * second))
        }
        // 999 below the high of 9,900 for a long time: not enough of a drop.
        for step in 100..<200 {
            XCTAssertFalse(trigger.observe(connections: 8_901, now: Int64(step) * second))
        }
        XCTAssertEqual(trigger.high, 9_900)
    }

    func testTrimsOnceAfterTheDropLastedTheIdleTime() {
        var trigger = IdleTrimTrigger(idle: 5 * second, minimumDrop: 1_000, connections: 0)
        XCTAssertFalse(trigger.observe(connections: 20_000, now: 0))
        XCTAssertFalse(trigger.observe(connections: 500, now: 1 * second))   // the flood is gone
        XCTAssertFalse(trigger.observe(connections: 400, now: 3 * second))
        XCTAssertFalse(trigger.observe(connections: 450, now: 5 * second))   // 4 s after the drop
        XCTAssertTrue(trigger.observe(connections: 450, now: 6 * second))    // 5 s after the drop
        trigger.trimmed(connections: 450)
        // The same low count later is no new reason to trim.
        for step in 7..<60 { XCTAssertFalse(trigger.observe(connections: 450, now: Int64(step) * second)) }
        // A new flood and its end trim again.
        XCTAssertFalse(trigger.observe(connections: 5_000, now: 60 * second))
        XCTAssertFalse(trigger.observe(connections: 3_000, now: 61 * second))
        XCTAssertTrue(trigger.observe(connections: 3_000, now: 66 * second))
    }

    func testARecoveryBeforeTheIdleTimeRestartsTheWait() {
        var trigger = IdleTrimTrigger(idle: 5 * second, minimumDrop: 1_000, connections: 10_000)
        XCTAssertFalse(trigger.observe(connections: 8_000, now: 0))
        XCTAssertFalse(trigger.observe(connections: 9_500, now: 3 * second))  // back within 1,000 of the high
        XCTAssertFalse(trigger.observe(connections: 8_000, now: 4 * second))
        XCTAssertFalse(trigger.observe(connections: 8_000, now: 8 * second))
        XCTAssertTrue(trigger.observe(connections: 8_000, now: 9 * second))
    }

    /// A node that never had 2,000 sockets trims after losing half of its high (a fanout to 500 subscribers leaves
    /// ~95 MiB of free heap behind too).
    func testASmallNodeTrimsAfterLosingHalfItsSockets() {
        var trigger = IdleTrimTrigger(idle: 5 * second, minimumDrop: 1_000, connections: 0)
        XCTAssertFalse(trigger.observe(connections: 400, now: 0))
        XCTAssertFalse(trigger.observe(connections: 201, now: 1 * second))   // 199 below: less than half
        XCTAssertFalse(trigger.observe(connections: 201, now: 20 * second))
        XCTAssertFalse(trigger.observe(connections: 200, now: 21 * second))  // half gone
        XCTAssertTrue(trigger.observe(connections: 0, now: 26 * second))
        trigger.trimmed(connections: 0)
        for step in 27..<40 { XCTAssertFalse(trigger.observe(connections: 0, now: Int64(step) * second)) }
    }

    func testTheSettingsTurnItOffAndTuneIt() throws {
        XCTAssertEqual(RallyConfiguration().mallocTrimIdle, .seconds(5))
        XCTAssertEqual(RallyConfiguration().mallocTrimMinimumDrop, 1_000)
        var configuration = RallyConfiguration()
        try configuration.apply(environment: ["RALLY_MALLOC_TRIM_IDLE_MS": "0", "RALLY_MALLOC_TRIM_MIN_DROP": "50"])
        XCTAssertNil(configuration.mallocTrimIdle)
        XCTAssertEqual(configuration.mallocTrimMinimumDrop, 50)
        try configuration.apply(environment: ["RALLY_MALLOC_TRIM_IDLE_MS": "250"])
        XCTAssertEqual(configuration.mallocTrimIdle, .milliseconds(250))
    }

    /// On Linux the node's default trim is glibc's `malloc_trim`, found at run time (not a silent no-op).
    func testTheDefaultTrimIsGlibcsMallocTrim() {
        #if os(Linux)
        XCTAssertTrue(IdleTrimmer.canTrim)
        IdleTrimmer.mallocTrim()
        #endif
    }

    /// The trimmer on a real event loop: a drop of 2,000 sockets that lasts makes exactly one trim; with the setting
    /// off, none.
    func testTheTrimmerTrimsAfterADropOnItsLoop() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let open = NIOLockedValueBox(2_000)
        let trims = NIOLockedValueBox(0)
        let trimmer = IdleTrimmer.start(
            idle: .milliseconds(100), minimumDrop: 1_000, on: group.next(), interval: .milliseconds(10),
            connections: { open.withLockedValue { $0 } }, logger: Logger(label: "test"),
            trim: { trims.withLockedValue { $0 += 1 } })
        let off = IdleTrimmer.start(
            idle: nil, minimumDrop: 1_000, on: group.next(), interval: .milliseconds(10),
            connections: { open.withLockedValue { $0 } }, logger: Logger(label: "test"),
            trim: { XCTFail("trimmed while off") })
        try await Task.sleep(nanoseconds: 300_000_000)
        XCTAssertEqual(trims.withLockedValue { $0 }, 0, "no drop, no trim")
        open.withLockedValue { $0 = 10 }
        _ = try await Polling.until(timeout: .seconds(5)) { trims.withLockedValue { $0 } > 0 }
        XCTAssertEqual(trims.withLockedValue { $0 }, 1)
        try await Task.sleep(nanoseconds: 400_000_000)
        XCTAssertEqual(trims.withLockedValue { $0 }, 1, "one trim per drop")
        trimmer.stop()
        off.stop()
        try await group.shutdownGracefully()
    }
}
