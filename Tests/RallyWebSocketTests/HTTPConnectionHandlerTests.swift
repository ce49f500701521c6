import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOHTTP1
import XCTest

@testable import RallyWebSocket

/// Answers every plain request with 200 and its path, counting them; refuses every upgrade.
private final class CountingDelegate: HTTPServerDelegate {
    let requests = NIOLockedValueBox(0)

    func upgradeDecision(for request: HTTPRequest, eventLoop: EventLoop) -> EventLoopFuture<UpgradeDecision> {
        eventLoop.makeSucceededFuture(.reject(HTTPResponse(status: .notFound)))
    }

    func respond(to request: HTTPRequest, eventLoop: EventLoop) -> EventLoopFuture<HTTPResponse> {
        requests.withLockedValue { $0 += 1 }
        return eventLoop.makeSucceededFuture(HTTPResponse(status: .ok, body: ByteBuffer(string: request.head.uri)))
    }
}

/// The HTTP side of a connection on an `EmbeddedChannel`, with the clock under the test's control.
final class HTTPConnectionHandlerTests: XCTestCase {
    private let loop = EmbeddedEventLoop()
    private var channel: EmbeddedChannel!
    private let delegate = CountingDelegate()

    override func setUpWithError() throws {
        var configuration = WebSocketServerConfiguration()
        configuration.handshakeTimeout = .seconds(10)
        channel = EmbeddedChannel(loop: loop)
        let decoder = ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes))
        let encoder = HTTPResponseEncoder()
        let handler = HTTPConnectionHandler(
            configuration: configuration, delegate: delegate,
            codec: .init(decoder: decoder, encoder: encoder), logger: Logger(label: "test"))
        try channel.pipeline.syncOperations.addHandlers([decoder, encoder, handler])
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 4000)).wait()
    }

    override func tearDownWithError() throws {
        _ = try? channel.finish()
    }

    private func send(_ text: String) throws {
        try channel.writeInbound(ByteBuffer(string: text))
    }

    /// Everything written to the peer so far.
    private func written() throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text
    }

    func testABodyTrickledPastTheTimeoutClosesTheConnection() throws {
        try send("POST /api HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n")
        for _ in 0..<9 {
            loop.advanceTime(by: .seconds(1))
            try send("a")  // one byte a second: each arrives, the request never completes in time
        }
        XCTAssertTrue(channel.isActive)
        loop.advanceTime(by: .seconds(1))
        XCTAssertFalse(channel.isActive, "the whole request, body included, is bounded by the handshake timeout")
        XCTAssertEqual(delegate.requests.withLockedValue { $0 }, 0)
    }

    func testAnUpgradeRequestWithATrickledBodyIsClosedAtTheTimeout() throws {
        try send("GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                 + "Transfer-Encoding: chunked\r\n\r\n1\r\na\r\n")
        loop.advanceTime(by: .seconds(10))
        XCTAssertFalse(channel.isActive)
    }

    func testACompleteRequestStopsTheTimerAndTheNextRequestGetsAFreshOne() throws {
        loop.advanceTime(by: .seconds(9))
        try send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertTrue(try written().contains("HTTP/1.1 200 OK"))
        loop.advanceTime(by: .seconds(9))
        XCTAssertTrue(channel.isActive, "a keep-alive connection gets a full timeout for its next request")
        loop.advanceTime(by: .seconds(1))
        XCTAssertFalse(channel.isActive)
    }

    func testPipelinedRequestsWaitWhileTheChannelIsNotWritable() throws {
        channel.isWritable = false
        try send("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /3 HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(delegate.requests.withLockedValue { $0 }, 1, "no more answers while the peer does not read")
        XCTAssertEqual(try written().components(separatedBy: "HTTP/1.1 200").count - 1, 1)
        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        XCTAssertEqual(delegate.requests.withLockedValue { $0 }, 3)
        let rest = try written()
        XCTAssertLessThan(try XCTUnwrap(rest.range(of: "/2")).lowerBound, try XCTUnwrap(rest.range(of: "/3")).lowerBound)
    }
}
