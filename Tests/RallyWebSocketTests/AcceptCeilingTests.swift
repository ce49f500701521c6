#if canImport(Glibc)
import Foundation
import Glibc
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import XCTest

@testable import RallyWebSocket

private final class OKDelegate: HTTPServerDelegate {
    func upgradeDecision(for request: HTTPRequest, eventLoop: EventLoop) -> EventLoopFuture<UpgradeDecision> {
        eventLoop.makeSucceededFuture(.reject(HTTPResponse(status: .notFound)))
    }

    func respond(to request: HTTPRequest, eventLoop: EventLoop) -> EventLoopFuture<HTTPResponse> {
        eventLoop.makeSucceededFuture(HTTPResponse(status: .ok))
    }
}

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

        let first = try Self.connect(port: port), second = try Self.connect(port: port)
        defer { close(second) }
        XCTAssertTrue(try Self.request(on: first, timeout: 10).hasPrefix("HTTP/1.1 200 OK"))
        XCTAssertTrue(try Self.request(on: second, timeout: 10).hasPrefix("HTTP/1.1 200 OK"))
        XCTAssertEqual(reached.withLockedValue { $0 }, 1)

        let third = try Self.connect(port: port)  // completed by the kernel, not accepted
        defer { close(third) }
        // An observation window: the request must stay unanswered while two connections are open.
        XCTAssertEqual(try Self.request(on: third, timeout: 0.3), "", "a third connection was served at a ceiling of 2")
        XCTAssertEqual(server.openConnections, 2)

        close(first)
        XCTAssertTrue(try Self.read(third, timeout: 10).hasPrefix("HTTP/1.1 200 OK"), "the waiting connection is served")
        XCTAssertEqual(server.openConnections, 2)
        XCTAssertEqual(reached.withLockedValue { $0 }, 2, "accepting paused again at the ceiling")
        await server.stopAccepting()
        try await group.shutdownGracefully()
    }

    static func connect(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw IOError(errnoCode: errno, reason: "socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw IOError(errnoCode: errno, reason: "connect") }
        return fd
    }

    /// A keep-alive GET; the answer read within `timeout` seconds ("" if none came).
    static func request(on socket: Int32, timeout: Double) throws -> String {
        let request = Array("GET /x HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        XCTAssertEqual(write(socket, request, request.count), request.count)
        return try Self.read(socket, timeout: timeout)
    }

    static func read(_ socket: Int32, timeout: Double) throws -> String {
        var limit = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = Glibc.read(socket, &buffer, buffer.count)
        return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : ""
    }
}
#endif
