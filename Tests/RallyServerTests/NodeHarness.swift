import Foundation
import NIOCore
import NIOPosix
import RallyClient
import RallyProtocol
import RallyServer
import RallyTestSupport
import XCTest

/// A real node on an ephemeral loopback port, and clients that talk to it over TCP.
final class NodeHarness {
    static let secret = "server-test-secret-0123456789"
    let node: RallyNode
    let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    init(_ adjust: (inout RallyConfiguration) -> Void = { _ in }) async throws {
        var configuration = RallyConfiguration()
        configuration.server.port = 0
        configuration.jwtSecret = Self.secret
        configuration.threads = 2
        configuration.connectErrorDelay = .zero
        configuration.limits.joinErrorDelay = .zero
        adjust(&configuration)
        node = try await RallyNode.start(configuration)
    }

    func shutdown() async throws {
        await node.drainAndStop()
        try await clientGroup.shutdownGracefully()
    }

    var base: String { "ws://127.0.0.1:\(node.port)/realtime/v1/websocket" }

    func token(role: String = "authenticated", subject: String? = UUID().uuidString, expiresIn: TimeInterval = 3600)
        async throws -> String {
        try await node.services.verifier.signHS256(subject: role == "authenticated" ? subject : nil, role: role,
                                                   expiresAt: Date().addingTimeInterval(expiresIn))
    }

    /// A client whose every event is recorded (delivered on its event loop, read by the test with deadlines).
    func connect(_ version: ProtocolVersion, role: String = "authenticated") async throws -> TestConnection {
        let token = try await token(role: role)
        let recorder = EventRecorder()
        let connection = try await RealtimeConnection.connect(
            to: base, version: version, apiKey: token, inbound: .callback({ recorder.record($0) }), on: clientGroup)
        return TestConnection(connection: connection, events: recorder)
    }

    func http() async throws -> HTTPClientConnection {
        try await HTTPClientConnection.connect(host: "127.0.0.1", port: node.port, on: clientGroup).get()
    }
}

struct TestConnection {
    let connection: RealtimeConnection
    let events: EventRecorder
}

/// Records server events; tests wait on a condition with a deadline (never a sleep).
typealias EventRecorder = Recorder<ServerEvent>
