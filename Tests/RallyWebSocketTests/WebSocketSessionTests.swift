import NIOCore
import NIOEmbedded
import NIOWebSocket
import XCTest

@testable import RallyWebSocket

/// Records a session's events; optionally echoes.
final class SessionRecorder: WebSocketSessionHandler {
    var opened: [WebSocketSession] = []
    var messages: [WebSocketMessage] = []
    var closeCodes: [WebSocketErrorCode?] = []
    var echoes = false

    func sessionDidOpen(_ session: WebSocketSession) { opened.append(session) }
    func session(_ session: WebSocketSession, didReceive message: WebSocketMessage) {
        messages.append(message)
        if echoes { session.send(message) }
    }
    func sessionDidClose(_ session: WebSocketSession, code: WebSocketErrorCode?) { closeCodes.append(code) }
}

/// Swallows outbound writes without completing them: a peer that stopped reading.
/// A peer that reads nothing: writes reach the channel, which counts them as buffered (as a socket's pending
/// writes, what a session's outbound bound asks for), but are flushed only by `drain()`, as if the peer then read
/// everything. `writes` records each channel write as it came.
final class StalledSocket: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
    var writes: [ByteBuffer] = []
    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        writes.append(unwrapOutboundIn(data))
        context.write(data, promise: promise)
    }

    func flush(context: ChannelHandlerContext) {}

    /// The peer read everything written so far.
    func drain() {
        context?.flush()
    }
}

final class WebSocketSessionTests: XCTestCase {
    private var channel: EmbeddedChannel!
    private var recorder: SessionRecorder!
    private var handler: WebSocketFrameHandler!
    private var stalled: StalledSocket?

    override func tearDown() {
        _ = try? channel?.finish()
        super.tearDown()
    }

    private func start(
        deflate: DeflateParameters? = nil, maxOutboundBytes: Int = 1 << 20, stalled: StalledSocket? = nil,
        echoes: Bool = false
    ) throws {
        channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
        self.stalled = stalled
        if let stalled { try channel.pipeline.syncOperations.addHandler(stalled) }
        recorder = SessionRecorder()
        recorder.echoes = echoes
        let settings = WebSocketFrameHandler.Settings(
            limits: .init(maxFrameSize: 1 << 16, maxMessageSize: 1 << 17), idleTimeout: .seconds(30),
            session: .init(maxOutboundBytes: maxOutboundBytes, closeTimeout: .seconds(2))
        )
        handler = WebSocketFrameHandler(
            eventLoop: channel.eventLoop, remoteAddress: nil, handler: recorder, deflate: deflate, settings: settings
        )
        try channel.pipeline.syncOperations.addHandler(handler)
    }

    private func send(_ frames: ClientFrame...) throws {
        try channel.writeInbound(ByteBuffer(bytes: frames.flatMap(\.bytes)))
        channel.embeddedEventLoop.run()
    }

    private func written() throws -> [ServerFrame] {
        var all = ByteBuffer()
        while var chunk = try channel.readOutbound(as: ByteBuffer.self) { all.writeBuffer(&chunk) }
        return ServerFrame.parseAll(all)
    }

    func testEchoesFragmentedMessageAndAnswersInterleavedPing() throws {
        try start(echoes: true)
        XCTAssertEqual(recorder.opened.count, 1)
        try send(.text("Hel", fin: false), ClientFrame(opcode: 0x9, payload: Array("p".utf8)), ClientFrame(opcode: 0x0, payload: Array("lo".utf8)))
        XCTAssertEqual(try written(), [
            ServerFrame(fin: true, rsv1: false, opcode: 0xA, payload: Array("p".utf8)),
            ServerFrame(fin: true, rsv1: false, opcode: 0x1, payload: Array("Hello".utf8)),
        ])
    }

    func testEchoSessionHandlerKeepsBinaryAsBinary() throws {
        try start()
        let echo = EchoSessionHandler()
        echo.session(handler.session, didReceive: .binary(ByteBuffer(bytes: [0, 1, 2])))
        channel.embeddedEventLoop.run()
        XCTAssertEqual(try written(), [ServerFrame(fin: true, rsv1: false, opcode: 0x2, payload: [0, 1, 2])])
    }

    func testPeerCloseIsEchoedAndTheSocketClosedOnce() throws {
        try start()
        try send(.close(code: 1001, reason: Array("bye".utf8)))
        XCTAssertEqual(try written().map(\.closeCode), [1001])
        XCTAssertFalse(channel.isActive)
        XCTAssertEqual(recorder.closeCodes, [.goingAway])
        XCTAssertFalse(handler.session.isOpen)
    }

    func testEmptyCloseIsAnsweredWith1000() throws {
        try start()
        try send(.close(code: nil))
        XCTAssertEqual(try written().map(\.closeCode), [1000])
        XCTAssertEqual(recorder.closeCodes, [WebSocketErrorCode(codeNumber: 1005)])
    }

    func testInvalidUTF8MidFragmentFailsWith1007AndWaitsForThePeersClose() throws {
        try start()
        try send(ClientFrame(opcode: 0x1, payload: [0xCE, 0xBA, 0xF4, 0x90], fin: false))
        XCTAssertEqual(try written().map(\.closeCode), [1007])
        XCTAssertTrue(channel.isActive, "the closing handshake waits for the peer")
        try send(.close(code: 1007))
        XCTAssertFalse(channel.isActive)
        XCTAssertEqual(recorder.closeCodes, [.dataInconsistentWithMessage])
        XCTAssertTrue(recorder.messages.isEmpty)
    }

    func testProtocolErrorsCloseWith1002AndBadCloseCodesToo() throws {
        var rsv3 = ClientFrame.text("x")
        rsv3.rsv3 = true
        for frame in [rsv3, .close(code: 1004), ClientFrame(opcode: 0x8, payload: [3])] {
            try start()
            try send(frame)
            XCTAssertEqual(try written().map(\.closeCode), [1002], "\(frame.bytes)")
        }
    }

    func testOversizeFrameClosesWith1009() throws {
        try start()
        try send(ClientFrame(opcode: 0x2, payload: [UInt8](repeating: 1, count: (1 << 16) + 1)))
        XCTAssertEqual(try written().map(\.closeCode), [1009])
    }

    func testCloseTimeoutDropsAPeerThatNeverAnswers() throws {
        try start()
        handler.session.close(code: .normalClosure, reason: "done")
        let frames = try written()
        XCTAssertEqual(frames.map(\.closeCode), [1000])
        XCTAssertEqual(frames.first.map { Array($0.payload.dropFirst(2)) }, Array("done".utf8))
        handler.session.send(.text(ByteBuffer(string: "after close is dropped")))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1999))
        XCTAssertTrue(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        XCTAssertFalse(channel.isActive)
        XCTAssertEqual(try written(), [])
        XCTAssertEqual(recorder.closeCodes, [.normalClosure])
    }

    func testIdleTimeoutClosesWith1011AndInboundFramesPostponeIt() throws {
        try start()
        channel.embeddedEventLoop.advanceTime(by: .seconds(20))
        try send(ClientFrame(opcode: 0xA, payload: []))
        channel.embeddedEventLoop.advanceTime(by: .seconds(20))
        XCTAssertEqual(try written(), [], "20 s after the pong is not idle yet")
        channel.embeddedEventLoop.advanceTime(by: .seconds(10))
        let frames = try written()
        XCTAssertEqual(frames.map(\.closeCode), [1011])
        XCTAssertEqual(frames.first.map { Array($0.payload.dropFirst(2)) }, Array("idle timeout".utf8))
    }

    func testSlowConsumerIsClosedWith1013WithoutQueueingMore() throws {
        let stalled = StalledSocket()
        try start(maxOutboundBytes: 1000, stalled: stalled)
        let session = handler.session
        let message = WebSocketMessage.binary(ByteBuffer(bytes: [UInt8](repeating: 9, count: 300)))
        for _ in 0..<3 {
            session.send(message)
            channel.embeddedEventLoop.run()
        }
        XCTAssertEqual(session.queuedOutboundBytes, 3 * 304)
        XCTAssertTrue(session.isOpen)
        session.send(message)
        XCTAssertFalse(session.isOpen)
        session.send(message)
        channel.embeddedEventLoop.run()
        XCTAssertEqual(session.queuedOutboundBytes, 3 * 304, "nothing queued after the bound")
        var all = ByteBuffer()
        for var write in stalled.writes { all.writeBuffer(&write) }
        XCTAssertEqual(ServerFrame.parseAll(all).map(\.opcode), [0x2, 0x2, 0x2, 0x8])
        XCTAssertEqual(ServerFrame.parseAll(all).last?.closeCode, 1013)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        XCTAssertFalse(channel.isActive)
        XCTAssertEqual(recorder.closeCodes, [.unknown(1013)])
    }

    func testCompletedWritesFreeTheOutboundBudget() throws {
        let stalled = StalledSocket()
        try start(maxOutboundBytes: 1000, stalled: stalled)
        let session = handler.session
        session.send(.binary(ByteBuffer(bytes: [UInt8](repeating: 1, count: 600))))
        channel.embeddedEventLoop.run()
        XCTAssertEqual(session.queuedOutboundBytes, 604)
        stalled.drain()
        XCTAssertEqual(session.queuedOutboundBytes, 0)
        session.send(.binary(ByteBuffer(bytes: [UInt8](repeating: 1, count: 600))))
        XCTAssertTrue(session.isOpen)
    }

    func testDeflateSessionRoundTrip() throws {
        try start(deflate: DeflateParameters(), echoes: true)
        let client = ClientDeflater()
        let text = String(repeating: "compress me please ", count: 10)
        for _ in 0..<2 {
            try send(ClientFrame(opcode: 0x1, payload: client.compress(Array(text.utf8)), rsv1: true))
        }
        let frames = try written()
        XCTAssertEqual(frames.count, 2)
        for frame in frames {
            XCTAssertTrue(frame.rsv1)
            XCTAssertEqual(try inflateServerMessage(frame.payload), Array(text.utf8), "each reply stands alone")
        }
    }

    func testSharedFrameIsWrittenWithoutCopying() throws {
        try start()
        let shared = SharedFrame(isBinary: false, payload: ByteBuffer(string: "fanout"))
        handler.session.send(shared)
        channel.embeddedEventLoop.run()
        let written = try XCTUnwrap(channel.readOutbound(as: ByteBuffer.self))
        let expected = shared.wireBytes(for: nil)
        XCTAssertEqual(
            written.withUnsafeReadableBytes { $0.baseAddress }, expected.withUnsafeReadableBytes { $0.baseAddress }
        )
    }

    func testFramesOfOneTickAreWrittenAsOneBufferInOrder() throws {
        let stalled = StalledSocket()
        try start(stalled: stalled)
        let session = handler.session
        let shared = SharedFrame(isBinary: false, payload: ByteBuffer(string: "first"))
        session.send(shared)
        session.send(.text(ByteBuffer(string: "second")))
        session.send(SharedFrame(isBinary: true, payload: ByteBuffer(bytes: [1, 2, 3])))
        channel.embeddedEventLoop.run()
        XCTAssertEqual(stalled.writes.count, 1, "one channel write for the tick")
        let frames = ServerFrame.parseAll(stalled.writes[0])
        XCTAssertEqual(frames.map(\.opcode), [0x1, 0x1, 0x2])
        XCTAssertEqual(frames.map(\.payload), [Array("first".utf8), Array("second".utf8), [1, 2, 3]])
        stalled.drain()
        XCTAssertEqual(session.queuedOutboundBytes, 0)
        XCTAssertEqual(shared.wireBytes(for: nil).readableBytes, 7, "the shared frame is untouched by the batch")
    }

    func testBatchesPastTheirBoundAreSplitAcrossWritesOfOneFlush() throws {
        let stalled = StalledSocket()
        try start(stalled: stalled)
        let session = handler.session
        let payload = [UInt8](repeating: 7, count: 20_000)
        for _ in 0..<5 { session.send(.binary(ByteBuffer(bytes: payload))) }
        channel.embeddedEventLoop.run()
        XCTAssertGreaterThan(stalled.writes.count, 1)
        XCTAssertTrue(stalled.writes.allSatisfy { $0.readableBytes <= WebSocketSession.maxBatchBytes })
        var all = ByteBuffer()
        for var write in stalled.writes { all.writeBuffer(&write) }
        XCTAssertEqual(ServerFrame.parseAll(all).map(\.payload), Array(repeating: payload, count: 5))
        XCTAssertEqual(session.queuedOutboundBytes, 5 * 20_004)
        stalled.drain()
        XCTAssertEqual(session.queuedOutboundBytes, 0)
    }

    func testEachTickGetsItsOwnWrite() throws {
        let stalled = StalledSocket()
        try start(stalled: stalled)
        for text in ["a", "b"] {
            handler.session.send(.text(ByteBuffer(string: text)))
            channel.embeddedEventLoop.run()
        }
        XCTAssertEqual(stalled.writes.map { ServerFrame.parseAll($0).map(\.payload) }, [[[0x61]], [[0x62]]])
    }
}
