#if canImport(Glibc)
import Foundation
import Glibc
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RallyTestSupport
import XCTest

@testable import RallyWebSocket

/// The listeners stop accepting while the connections open at once reach the ceiling (the descriptor limit minus a
/// reserve) and resume as soon as one closes; the connections beyond it wait in the listen backlog.
final class AcceptCeilingTests: XCTestCase {
    func testTheCeilingIsTheDescriptorLimitMinusTheReserve() {
        XCTAssertEqual(AcceptCeiling.ceiling(descriptorLimit: 20_000, reserve: 256), 19_744)
        XCTAssertEqual(AcceptCeiling.ceiling(descriptorLimit: 100, reserve: 256), 1)
        XCTAssertEqual(AcceptCeiling.ceiling(descriptorLimit: 100, reserve: -5), 100)
        XCTAssertEqual(AcceptCeiling.ceiling(descriptorLimit: .max, reserve: 256), Int.max - 256)
    }

    func testTheServerTakesItsCeilingFromThisProcesssLimit() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        var configuration = WebSocketServerConfiguration()
        configuration.descriptorReserve = 100
        let server = WebSocketServer(configuration: configuration, group: group, delegate: OKDelegate())
        var limit = rlimit()
        XCTAssertEqual(getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit), 0)
        XCTAssertEqual(server.connectionCeiling, AcceptCeiling.ceiling(descriptorLimit: UInt64(limit.rlim_cur), reserve: 100))
    }

    /// Two listeners (one per loop): the ceiling is shared, so whichever listener the kernel hands the third
    /// connection to, it waits until one of the first two closes.
    func testAcceptingPausesAtTheCeilingAndResumesWhenAConnectionCloses() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let reached = NIOLockedValueBox(0)
        var configuration = WebSocketServerConfiguration()
        configuration.port = 0
        configuration.maxOpenConnections = 2
        let server = WebSocketServer(configuration: configuration, group: group, delegate: OKDelegate(),
                                     ceilingReached: { reached.withLockedValue { $0 += 1 } })
        let port = try await server.start()

        let first = try PlainHTTP.connect(port: port), second = try PlainHTTP.connect(port: port)
        XCTAssertTrue(try PlainHTTP.request(on: first, timeout: 10).hasPrefix("HTTP/1.1 200 OK"))
        XCTAssertTrue(try PlainHTTP.request(on: second, timeout: 10).hasPrefix("HTTP/1.1 200 OK"))
        XCTAssertEqual(reached.withLockedValue { $0 }, 1)
        let pausedAtTheCeiling = try await server.listenersAccepting()
        XCTAssertEqual(pausedAtTheCeiling, [false, false], "every listener paused")

        let third = try PlainHTTP.connect(port: port)  // completed by the kernel, not accepted
        defer { close(third) }
        // An observation window: the request must stay unanswered while two connections are open.
        XCTAssertEqual(try PlainHTTP.request(on: third, timeout: 0.3), "", "a third connection was served at a ceiling of 2")
        XCTAssertEqual(server.openConnections, 2)

        close(first)
        XCTAssertTrue(PlainHTTP.read(third, timeout: 10).hasPrefix("HTTP/1.1 200 OK"), "the waiting connection is served")
        XCTAssertEqual(server.openConnections, 2)
        XCTAssertEqual(reached.withLockedValue { $0 }, 2, "accepting paused again at the ceiling")
        let pausedAgain = try await server.listenersAccepting()
        XCTAssertEqual(pausedAgain, [false, false])
        close(second)
        let resumed = try await Polling.until { try await server.listenersAccepting() == [true, true] }
        XCTAssertTrue(resumed, "accepting resumed under the ceiling")
        await server.stopAccepting()
        try await group.shutdownGracefully()
    }
}
#endif
