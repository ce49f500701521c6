#if canImport(Glibc)
import Foundation
import Glibc
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import XCTest

@testable import RallyWebSocket

/// The listeners stop accepting while every descriptor number below the ceiling (the descriptor limit minus a
/// reserve) is in use, and resume once one is free; the connections beyond it wait in the listen backlog.
final class AcceptCeilingTests: XCTestCase {
    func testTheCeilingIsTheDescriptorLimitMinusTheReserve() {
        XCTAssertEqual(AcceptCeiling.ceiling(descriptorLimit: 20_000, reserve: 256), 19_744)
        XCTAssertEqual(AcceptCeiling.ceiling(descriptorLimit: 100, reserve: 256), 1)
        XCTAssertEqual(AcceptCeiling.ceiling(descriptorLimit: 100, reserve: -5), 100)
        XCTAssertEqual(AcceptCeiling.ceiling(descriptorLimit: .max, reserve: 256), Int32.max - 256)
    }

    func testTheServerTakesItsCeilingFromThisProcesssLimit() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        var configuration = WebSocketServerConfiguration()
        configuration.descriptorReserve = 100
        let server = WebSocketServer(configuration: configuration, group: group, delegate: OKDelegate())
        var limit = rlimit()
        XCTAssertEqual(getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit), 0)
        let expected = AcceptCeiling.ceiling(descriptorLimit: UInt64(limit.rlim_cur), reserve: 100)
        XCTAssertEqual(server.descriptorCeiling, Int(expected))
    }

    /// The scenario fills this process's descriptor table up to just below the ceiling, so it runs alone in a child
    /// process of this test binary, where every descriptor is accounted for.
    func testAcceptingPausesAtTheCeilingAndResumesWhenADescriptorIsFree() throws {
        try ChildTest.assertPasses("AcceptCeilingTests/testCeilingScenario")
    }

    /// Two listeners (one per loop) share the ceiling: whichever the kernel hands a connection to, it waits while
    /// the numbers below the ceiling are taken. Skipped unless this process is the child started above.
    func testCeilingScenario() throws {
        try ChildTest.skipUnlessChild("AcceptCeilingTests/testCeilingScenario")
        try ChildTest.blocking {}  // the runtime's thread pool opens its descriptors now, not mid-scenario
        try DescriptorTable.lowerLimit(to: 512)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        defer { try? group.syncShutdownGracefully() }
        let reached = NIOLockedValueBox(0)
        var configuration = WebSocketServerConfiguration()
        configuration.port = 0
        configuration.descriptorReserve = 256
        let server = WebSocketServer(configuration: configuration, group: group, delegate: OKDelegate(),
                                     ceilingReached: { reached.withLockedValue { $0 += 1 } })
        XCTAssertEqual(server.descriptorCeiling, 256)
        let port = try ChildTest.blocking { try await server.start() }

        // Six free numbers left below the ceiling: three connections, each a client and a server socket here.
        let fillers = DescriptorTable.fill(below: Int32(server.descriptorCeiling) - 6)
        defer { fillers.forEach { close($0) } }
        var clients: [Int32] = []
        defer { clients.forEach { close($0) } }
        for _ in 0..<3 {
            clients.append(try PlainHTTP.connect(port: port))
            XCTAssertTrue(try PlainHTTP.request(on: clients.last!, timeout: 10).hasPrefix("HTTP/1.1 200 OK"))
        }
        XCTAssertEqual(reached.withLockedValue { $0 }, 1, "the third accept took the last number below the ceiling")
        XCTAssertEqual(try ChildTest.blocking { try await server.listenersAccepting() }, [false, false])

        let waiting = try PlainHTTP.connect(port: port)  // completed by the kernel, not accepted
        defer { close(waiting) }
        // An observation window: the request must stay unanswered while no number below the ceiling is free.
        XCTAssertEqual(try PlainHTTP.request(on: waiting, timeout: 0.3), "", "a connection was accepted at the ceiling")

        close(clients.removeFirst())
        XCTAssertTrue(PlainHTTP.read(waiting, timeout: 10).hasPrefix("HTTP/1.1 200 OK"), "the waiting connection is served")
        XCTAssertEqual(try ChildTest.blocking { try await server.listenersAccepting() }, [true, true])
        try ChildTest.blocking { await server.stopAccepting() }
    }
}
#endif
