import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import XCTest

@testable import RallyWebSocket

/// Upgrades `/echo`, rejects `/private` with 401, answers other requests with their path and body.
/// Answers on `answerLoop` when given (as an application waiting on other work would), else on the
/// connection's loop.
private final class RoutingDelegate: HTTPServerDelegate {
    let answerLoop: EventLoop?

    init(answerLoop: EventLoop? = nil) {
        self.answerLoop = answerLoop
    }

    func upgradeDecision(for request: HTTPRequest, eventLoop: EventLoop) -> EventLoopFuture<UpgradeDecision> {
        let loop = answerLoop ?? eventLoop
        if request.head.uri == "/echo" {
            return loop.submit { .upgrade(EchoSessionHandler(), extraHeaders: ["X-Rally": "yes"]) }
        }
        let body = ByteBuffer(string: "{\"error\":\"unauthorized\"}")
        return loop.makeSucceededFuture(.reject(HTTPResponse(status: .unauthorized, body: body)))
    }

    func respond(to request: HTTPRequest, eventLoop: EventLoop) -> EventLoopFuture<HTTPResponse> {
        let body = ByteBuffer(string: "\(request.head.method) \(request.head.uri) \(String(buffer: request.body))")
        return (answerLoop ?? eventLoop).makeSucceededFuture(HTTPResponse(status: .ok, body: body))
    }
}

final class WebSocketServerLoopbackTests: XCTestCase {
    private var group: MultiThreadedEventLoopGroup!
    private var server: WebSocketServer!
    private var port = 0

    override func setUp() async throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var configuration = WebSocketServerConfiguration()
        configuration.port = 0
        configuration.maxHTTPBodySize = 100
        configuration.handshakeTimeout = .seconds(10)
        server = WebSocketServer(configuration: configuration, group: group, delegate: RoutingDelegate())
        port = try await server.start()
    }

    override func tearDown() async throws {
        await server.stopAccepting()
        try await group.shutdownGracefully()
    }

    private func handshake(path: String = "/echo", extraLines: [String] = [], version: String = "13") -> String {
        (["GET \(path) HTTP/1.1", "Host: localhost", "Upgrade: websocket", "Connection: Upgrade",
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: \(version)"] + extraLines)
            .joined(separator: "\r\n") + "\r\n\r\n"
    }

    private func connect() async throws -> LoopbackClient {
        try await LoopbackClient.connect(port: port, group: group)
    }

    func testUpgradeEchoesAndClosesCleanly() async throws {
        let client = try await connect()
        // The first frame travels in the same packet as the request.
        try await client.send(Array(handshake().utf8) + ClientFrame.text("hello").bytes)
        let response = try await client.received { ServerFrame.parseAll(Self.afterHead($0)).count == 1 }
        let head = String(buffer: response)
        XCTAssertTrue(head.hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"), head)
        XCTAssertTrue(head.contains("sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n".lowercased()) || head.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"), head)
        XCTAssertTrue(head.contains("X-Rally: yes\r\n"), head)
        XCTAssertFalse(head.lowercased().contains("transfer-encoding"), head)
        XCTAssertEqual(ServerFrame.parseAll(Self.afterHead(response)).first?.text, "hello")
        try await client.send(ClientFrame.close(code: 1000).bytes)
        let afterClose = try await client.received { ServerFrame.parseAll(Self.afterHead($0)).count == 2 }
        XCTAssertEqual(ServerFrame.parseAll(Self.afterHead(afterClose)).last?.closeCode, 1000)
        try await client.waitUntilClosed()
    }

    func testDeflateIsNegotiatedAndRepliesAreCompressed() async throws {
        let client = try await connect()
        let offer = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits, permessage-deflate"
        try await client.send(handshake(extraLines: [offer]))
        let head = try await client.text(containing: "\r\n\r\n")
        XCTAssertTrue(head.contains("permessage-deflate; server_no_context_takeover\r\n"), head)
        let text = String(repeating: "deflate over loopback ", count: 8)
        try await client.send(ClientFrame(opcode: 0x1, payload: ClientDeflater().compress(Array(text.utf8)), rsv1: true).bytes)
        let reply = try await client.received { ServerFrame.parseAll(Self.afterHead($0)).count == 1 }
        let frame = try XCTUnwrap(ServerFrame.parseAll(Self.afterHead(reply)).first)
        XCTAssertTrue(frame.rsv1)
        XCTAssertEqual(try inflateServerMessage(frame.payload), Array(text.utf8))
        await client.close()
    }

    func testRejectedUpgradeGetsTheDelegatesResponseAndIsClosed() async throws {
        let client = try await connect()
        try await client.send(handshake(path: "/private"))
        let response = try await client.text(containing: "unauthorized\"}")
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 401 Unauthorized\r\n"), response)
        try await client.waitUntilClosed()
    }

    func testUnsupportedVersionGets426() async throws {
        let client = try await connect()
        try await client.send(handshake(version: "8"))
        let response = try await client.text(containing: "\r\n\r\n")
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 426 Upgrade Required\r\n"), response)
        XCTAssertTrue(response.contains("Sec-WebSocket-Version: 13\r\n"), response)
        try await client.waitUntilClosed()
    }

    func testPlainRequestsShareAKeepAliveConnection() async throws {
        let client = try await connect()
        try await client.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nPOST /api HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
        let responses = try await client.text(containing: "POST /api hello")
        XCTAssertTrue(responses.hasPrefix("HTTP/1.1 200 OK\r\n"), responses)
        XCTAssertTrue(responses.contains("GET /healthz "), responses)
        let first = try XCTUnwrap(responses.range(of: "GET /healthz"))
        XCTAssertLessThan(first.lowerBound, try XCTUnwrap(responses.range(of: "POST /api")).lowerBound)
        await client.close()
    }

    func testOversizeBodyGets413() async throws {
        let client = try await connect()
        try await client.send("POST /api HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n")
        let response = try await client.text(containing: "\r\n\r\n")
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 413 Payload Too Large\r\n"), response)
        try await client.waitUntilClosed()
    }

    func testMalformedRequestGets400() async throws {
        let client = try await connect()
        try await client.send("THIS IS NOT HTTP\r\n\r\n")
        let response = try await client.text(containing: "\r\n\r\n")
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), response)
        try await client.waitUntilClosed()
    }

    func testSilentConnectionIsClosedAfterTheHandshakeTimeout() async throws {
        var configuration = WebSocketServerConfiguration()
        configuration.port = 0
        configuration.handshakeTimeout = .milliseconds(200)
        let impatient = WebSocketServer(configuration: configuration, group: group, delegate: RoutingDelegate())
        let client = try await LoopbackClient.connect(port: try await impatient.start(), group: group)
        try await client.waitUntilClosed(within: .seconds(10))
        await impatient.stopAccepting()
    }

    func testStopAcceptingClosesOnlyTheListener() async throws {
        let client = try await connect()
        try await client.send(handshake())
        _ = try await client.text(containing: "\r\n\r\n")
        await server.stopAccepting()
        do {
            _ = try await connect()
            XCTFail("the listener should be closed")
        } catch {}
        try await client.send(ClientFrame.text("still here").bytes)
        let reply = try await client.received { ServerFrame.parseAll(Self.afterHead($0)).count == 1 }
        XCTAssertEqual(ServerFrame.parseAll(Self.afterHead(reply)).first?.text, "still here")
        await client.close()
    }

    func testDelegateMayAnswerOnAnotherEventLoop() async throws {
        let otherGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var configuration = WebSocketServerConfiguration()
        configuration.port = 0
        let server = WebSocketServer(
            configuration: configuration, group: group, delegate: RoutingDelegate(answerLoop: otherGroup.next())
        )
        let port = try await server.start()
        let client = try await LoopbackClient.connect(port: port, group: group)
        try await client.send("GET /plain HTTP/1.1\r\nHost: x\r\n\r\n" + handshake())
        let replies = try await client.text(containing: "Switching Protocols")
        XCTAssertTrue(replies.contains("GET /plain "), replies)
        try await client.send(ClientFrame.text("hop").bytes)
        let echo = try await client.received { ServerFrame.parseAll(Self.afterHead(Self.afterHead($0))).count == 1 }
        XCTAssertEqual(ServerFrame.parseAll(Self.afterHead(Self.afterHead(echo))).first?.text, "hop")
        await client.close()
        await server.stopAccepting()
        try await otherGroup.shutdownGracefully()
    }

    /// The bytes after the HTTP response head.
    private static func afterHead(_ buffer: ByteBuffer) -> ByteBuffer {
        let bytes = Array(buffer.readableBytesView)
        let marker: [UInt8] = Array("\r\n\r\n".utf8)
        guard let index = (0...max(0, bytes.count - 4)).first(where: { bytes.count >= $0 + 4 && Array(bytes[$0..<$0 + 4]) == marker })
        else { return ByteBuffer() }
        return ByteBuffer(bytes: bytes[(index + 4)...])
    }
}
