import NIOCore
import NIOPosix
import RallyBus
import XCTest
@testable import RallyHub

/// The per-user write limit across loops (and, with a shared counter, nodes): each loop admits from the totals it
/// last learned plus what it admitted since, and learns the others' admissions at each sync.
final class UserRateGateTests: XCTestCase {
    func testTwoLoopsSharingACounterStopAtTheLimitOnceTheyHaveSynced() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        var limit = UserRateLimit()
        limit.perWindow = 10
        limit.syncInterval = .hours(1)  // syncs are driven by the test
        let counter = LocalRateCounter()
        let loops = Array(group.makeIterator())
        let first = UserRateGate(loop: loops[0], limit: limit, counter: counter)
        let second = UserRateGate(loop: loops[1], limit: limit, counter: counter)
        let admittedFirst = try await loops[0].submit { (0..<6).filter { _ in first.admit("u") }.count }.get()
        XCTAssertEqual(admittedFirst, 6)
        try await loops[0].flatSubmit { first.sync() }.get()
        let blind = try await loops[1].submit { second.admit("u") }.get()
        XCTAssertTrue(blind, "nothing known yet: admitted")
        try await loops[1].flatSubmit { second.sync() }.get()
        let admittedSecond = try await loops[1].submit { (0..<10).filter { _ in second.admit("u") }.count }.get()
        XCTAssertEqual(admittedSecond, 3, "6 + 1 known, so 3 more")
        let other = try await loops[1].submit { second.admit("other") }.get()
        XCTAssertTrue(other, "another user has their own count")
        try await loops[0].submit { first.stop() }.get()
        try await loops[1].submit { second.stop() }.get()
        try await group.shutdownGracefully()
    }

    func testAFailingCounterFailsOpenToCountingAlone() async throws {
        struct Failing: SharedRateCounter {
            func add(_ increments: [String: Int], window: TimeAmount, on loop: EventLoop)
                -> EventLoopFuture<[String: Int]> { loop.makeFailedFuture(BusError.unavailable) }
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        var limit = UserRateLimit()
        limit.perWindow = 5
        limit.syncInterval = .hours(1)
        let gate = UserRateGate(loop: loop, limit: limit, counter: Failing())
        let before = try await loop.submit { (0..<3).filter { _ in gate.admit("u") }.count }.get()
        XCTAssertEqual(before, 3)
        try await loop.flatSubmit { gate.sync() }.get()
        let after = try await loop.submit { (0..<5).filter { _ in gate.admit("u") }.count }.get()
        XCTAssertEqual(after, 2)
        try await loop.submit { gate.stop() }.get()
        try await group.shutdownGracefully()
    }
}
