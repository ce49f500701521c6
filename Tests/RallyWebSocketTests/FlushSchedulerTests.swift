import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOPosix
import XCTest

@testable import RallyWebSocket

/// A yield the test resumes by hand: what the loop's poll would do between two slices.
private final class ManualYield: LoopYielding {
    var continuation: (() -> Void)?

    func yield(_ body: @escaping () -> Void) -> Bool {
        precondition(continuation == nil, "one yield at a time")
        continuation = body
        return true
    }

    func resume() {
        let body = continuation
        continuation = nil
        body?()
    }
}

final class FlushSchedulerTests: XCTestCase {
    private let loop = EmbeddedEventLoop()
    private var channels: [EmbeddedChannel] = []
    private var sockets: [StalledSocket] = []
    private var sessions: [WebSocketSession] = []

    override func tearDown() {
        for channel in channels { _ = try? channel.finish() }
        FlushScheduler.install(FlushScheduler())
        super.tearDown()
    }

    /// `count` sessions on one loop, each behind a socket that records its writes.
    private func open(_ count: Int, maxOutboundBytes: Int = 1 << 20) throws {
        for _ in 0..<count {
            let channel = EmbeddedChannel(loop: loop)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
            let socket = StalledSocket()
            try channel.pipeline.syncOperations.addHandler(socket)
            let settings = WebSocketFrameHandler.Settings(
                limits: .init(maxFrameSize: 1 << 16, maxMessageSize: 1 << 17), idleTimeout: .seconds(30),
                session: .init(maxOutboundBytes: maxOutboundBytes, closeTimeout: .seconds(2)))
            let handler = WebSocketFrameHandler(
                eventLoop: loop, remoteAddress: nil, handler: SessionRecorder(), deflate: nil, settings: settings)
            try channel.pipeline.syncOperations.addHandler(handler)
            channels.append(channel)
            sockets.append(socket)
            sessions.append(handler.session)
        }
    }

    /// One fanout: the same shared frame to every session.
    private func fanOut(_ text: String) {
        let frame = SharedFrame(isBinary: false, payload: ByteBuffer(string: text))
        for session in sessions { session.send(frame) }
    }

    /// Each session's writes, each write as the texts of its frames.
    private var writes: [[[String]]] {
        sockets.map { socket in
            socket.writes.map { ServerFrame.parseAll($0).map { String(decoding: $0.payload, as: UTF8.self) } }
        }
    }

    func testQueueHandsOutSlicesInArrivalOrder() {
        final class Item {
            let id: Int
            init(_ id: Int) { self.id = id }
        }
        var queue = FlushQueue<Item>(sliceSize: 2)
        for id in 1...5 { queue.append(Item(id)) }
        var slice: [Item] = []
        var slices: [[Int]] = []
        while !queue.isEmpty {
            queue.takeSlice(into: &slice)
            slices.append(slice.map(\.id))
        }
        XCTAssertEqual(slices, [[1, 2], [3, 4], [5]])
        queue.takeSlice(into: &slice)
        XCTAssertTrue(slice.isEmpty)
    }

    func testMessageArrivingBetweenSlicesJoinsTheWritesOfTheSessionsNotYetFlushed() throws {
        let yield = ManualYield()
        FlushScheduler.install(FlushScheduler(sliceSize: 2, makeYielder: { _ in yield }))
        try open(5)
        fanOut("a")
        loop.run()
        XCTAssertEqual(writes, [[["a"]], [["a"]], [], [], []], "one slice, then the loop polls")
        fanOut("b")
        loop.run()
        XCTAssertEqual(writes, [[["a"]], [["a"]], [], [], []], "nothing written before the pass goes on")
        yield.resume()
        yield.resume()
        yield.resume()
        XCTAssertNil(yield.continuation, "the pass is over")
        XCTAssertEqual(writes, [[["a"], ["b"]], [["a"], ["b"]], [["a", "b"]], [["a", "b"]], [["a", "b"]]],
                       "in order everywhere; one write for both where the second came before the session's turn")
        for socket in sockets { socket.drain() }
        XCTAssertEqual(sessions.map(\.queuedOutboundBytes), Array(repeating: 0, count: 5))
    }

    func testAnotherPassStartsWhenTheFirstIsOver() throws {
        let yield = ManualYield()
        FlushScheduler.install(FlushScheduler(sliceSize: 2, makeYielder: { _ in yield }))
        try open(2)
        fanOut("a")
        loop.run()
        XCTAssertNil(yield.continuation, "two sessions: one slice, no yield")
        fanOut("b")
        loop.run()
        XCTAssertEqual(writes, [[["a"], ["b"]], [["a"], ["b"]]])
    }

    func testWithoutAYieldTheWholePassRunsInTheTick() throws {
        FlushScheduler.install(FlushScheduler(sliceSize: 2, makeYielder: { _ in nil }))
        try open(5)
        fanOut("a")
        loop.run()
        XCTAssertEqual(writes, Array(repeating: [["a"]], count: 5))
    }

    func testSessionOverItsBoundWhileWaitingForItsSliceIsClosedWith1013AfterWhatItAccepted() throws {
        let yield = ManualYield()
        FlushScheduler.install(FlushScheduler(sliceSize: 1, makeYielder: { _ in yield }))
        try open(2, maxOutboundBytes: 1000)
        let big = String(repeating: "x", count: 300)
        fanOut(big)
        loop.run()
        fanOut(big)
        fanOut(big)
        XCTAssertTrue(sessions[1].isOpen, "912 bytes held back, within the bound")
        fanOut(big)
        XCTAssertFalse(sessions[1].isOpen, "held-back bytes count against the bound")
        var all = ByteBuffer()
        for var write in sockets[1].writes { all.writeBuffer(&write) }
        let frames = ServerFrame.parseAll(all)
        XCTAssertEqual(frames.map(\.opcode), [0x1, 0x1, 0x1, 0x8], "what it accepted, then the close frame")
        XCTAssertEqual(frames.last?.closeCode, 1013)
        while yield.continuation != nil { yield.resume() }
        XCTAssertEqual(sockets[1].writes.map { ServerFrame.parseAll($0).count }.reduce(0, +), 4, "nothing after the close")
    }

    func testLoopYieldRunsItsContinuationAfterTheTasksOfTheTick() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let loop = group.next()
        let yielder = try loop.submit { LoopYield.make(on: loop).map { NIOLoopBound($0, eventLoop: loop) } }.wait()
        let bound = try XCTUnwrap(yielder, "a poller loop has a yield")
        let order = NIOLockedValueBoxOrder()
        let deadline = NIODeadline.now() + .seconds(5)
        var yielded = false
        while !yielded, NIODeadline.now() < deadline {
            yielded = try loop.submit {
                guard bound.value.yield({ order.append("after poll") }) else { return false }
                loop.execute { order.append("task") }
                return true
            }.wait()
            if !yielded { try loop.scheduleTask(in: .milliseconds(1)) {}.futureResult.wait() }
        }
        XCTAssertTrue(yielded, "the pipe channel registers")
        while order.values.count < 2, NIODeadline.now() < deadline { try loop.submit {}.wait() }
        XCTAssertEqual(order.values, ["task", "after poll"])
    }
}

/// A list appended from a loop and read from the test thread.
private final class NIOLockedValueBoxOrder: @unchecked Sendable {
    private let lock = NIOLock()
    private var list: [String] = []

    func append(_ value: String) { lock.withLock { list.append(value) } }
    var values: [String] { lock.withLock { list } }
}
