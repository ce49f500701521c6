#if canImport(Glibc)
import Foundation
import Glibc
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import XCTest

@testable import RallyWebSocket

/// At the descriptor limit the accept loop pauses instead of spinning, reports it, and recovers once descriptors
/// are free.
///
/// The scenario fills the whole descriptor table, which no other code of the process may see: libdispatch's
/// thread pool reads /proc/<tid>/stat once a second while work waits and aborts the process when that open fails,
/// and earlier tests of this process may have left work behind. So it runs in a child process of this test binary
/// (only this test, synchronously: no task or dispatch work while the table is full).
final class AcceptBackoffTests: XCTestCase {
    func testAcceptBacksOffAtTheDescriptorLimitAndRecovers() throws {
        try ChildTest.assertPasses("AcceptBackoffTests/testDescriptorExhaustionScenario")
    }

    /// The scenario itself; skipped unless this process is the child started by the test above.
    func testDescriptorExhaustionScenario() throws {
        try ChildTest.skipUnlessChild("AcceptBackoffTests/testDescriptorExhaustionScenario")
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let failures = NIOLockedValueBox(0)
        var configuration = WebSocketServerConfiguration()
        configuration.port = 0
        configuration.acceptBackoff = .milliseconds(250)
        let server = WebSocketServer(configuration: configuration, group: group, delegate: OKDelegate()) { error in
            if error.errnoCode == EMFILE { failures.withLockedValue { $0 += 1 } }
        }
        let port = try ChildTest.blocking { try await server.start() }

        let exhaustion = try DescriptorExhaustion()
        let client = try exhaustion.connectWithTheLastDescriptor(port: port)
        defer { close(client) }
        let failed = ChildTest.poll(timeout: 10) { failures.withLockedValue { $0 } >= 1 }
        XCTAssertTrue(failed, "accept never failed")
        let first = failures.withLockedValue { $0 }
        usleep(1_000_000)  // an observation window (nothing may happen in it), not a synchronisation
        let retries = failures.withLockedValue { $0 } - first
        XCTAssertLessThanOrEqual(retries, 8, "accept retried \(retries) times in one second")

        exhaustion.release()
        XCTAssertTrue(try PlainHTTP.request(on: client, timeout: 10).hasPrefix("HTTP/1.1 200 OK"), "the pending connection is served")
        try ChildTest.blocking { await server.stopAccepting() }
    }
}

/// Fills the process's descriptor table (under a lowered soft limit) and gives it back.
private final class DescriptorExhaustion {
    private let saved: rlimit
    private var fillers: [Int32]

    init() throws {
        saved = try DescriptorTable.lowerLimit(to: rlim_t(DescriptorTable.highestOpenDescriptor() + 64))
        fillers = DescriptorTable.fill()
    }

    /// Frees one descriptor for a client socket and connects it; the server's accept then finds none.
    func connectWithTheLastDescriptor(port: Int) throws -> Int32 {
        close(fillers.removeLast())
        return try PlainHTTP.connect(port: port)
    }

    func release() {
        for fd in fillers { close(fd) }
        fillers = []
        DescriptorTable.restoreLimit(saved)
    }

    deinit { release() }
}
#endif
