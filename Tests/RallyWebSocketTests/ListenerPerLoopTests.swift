import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import XCTest

@testable import RallyWebSocket

/// Answers every plain request with 200 and records which event loop served it.
private final class LoopRecordingDelegate: HTTPServerDelegate {
    let loops = NIOLockedValueBox<Set<ObjectIdentifier>>([])

    func upgradeDecision(for request: HTTPRequest, eventLoop: EventLoop) -> EventLoopFuture<UpgradeDecision> {
        eventLoop.makeSucceededFuture(.reject(HTTPResponse(status: .notFound)))
    }

    func respond(to request: HTTPRequest, eventLoop: EventLoop) -> EventLoopFuture<HTTPResponse> {
        loops.withLockedValue { _ = $0.insert(ObjectIdentifier(eventLoop)) }
        return eventLoop.makeSucceededFuture(HTTPResponse(status: .ok, body: ByteBuffer(string: "ok")))
    }
}

/// One listening socket per event loop on one port: every loop accepts, a taken port still fails the start, and
/// `stopAccepting` closes them all.
final class ListenerPerLoopTests: XCTestCase {
    func testEveryLoopAcceptsAndATakenPortFailsTheStart() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let delegate = LoopRecordingDelegate()
        var configuration = WebSocketServerConfiguration()
        configuration.port = 0
        let server = WebSocketServer(configuration: configuration, group: group, delegate: delegate)
        let port = try await server.start()

        // The kernel picks a listener per connection (a hash of its addresses): 32 connections all landing on
        // one of two listeners has a probability of 2^-31.
        for _ in 0..<32 {
            let client = try await LoopbackClient.connect(port: port, group: group)
            try await client.send("GET /x HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = try await client.text(containing: "ok")
            await client.close()
        }
        XCTAssertEqual(delegate.loops.withLockedValue { $0.count }, 2, "both loops served connections")

        configuration.port = port
        let second = WebSocketServer(configuration: configuration, group: group, delegate: delegate)
        do {
            _ = try await second.start()
            XCTFail("a second server started on a port in use")
            await second.stopAccepting()
        } catch {}

        await server.stopAccepting()
        do {
            _ = try await LoopbackClient.connect(port: port, group: group)
            XCTFail("a listener is still open")
        } catch {}
        try await group.shutdownGracefully()
    }
}
