import NIOCore
import NIOEmbedded
import XCTest

@testable import RallyRedis

/// The subscriber's reply matching, fed by hand.
final class RedisSubscriptionBookTests: XCTestCase {
    private let loop = EmbeddedEventLoop()

    private func push(_ kind: String, _ channel: String, _ count: Int) -> RESPValue {
        .array([.bulkString(ByteBuffer(string: kind)), .bulkString(ByteBuffer(string: channel)), .integer(count)])
    }

    private func subscribe(_ book: RedisSubscriptionBook, _ channels: [String]) -> EventLoopFuture<Void> {
        let promise = loop.makePromise(of: Void.self)
        let added = book.addDesired(channels)
        _ = book.waitForSubscribe(channels, promise: promise)
        book.didSend(.subscribe, channels: added)
        return promise.futureResult
    }

    func testConfirmationsCompleteTheWaiterWhenEveryChannelIsIn() throws {
        let book = RedisSubscriptionBook()
        book.connectionOpened()
        let future = subscribe(book, ["a", "b"])
        XCTAssertEqual(book.handle(push("subscribe", "a", 1)).count, 0)
        var done = false
        future.whenSuccess { done = true }
        XCTAssertFalse(done)
        let outcomes = book.handle(push("subscribe", "b", 2))
        XCTAssertTrue(done)
        guard case .allConfirmed? = outcomes.first else { return XCTFail("\(outcomes)") }
    }

    func testAnUnsubscribeNobodyAskedForIsUnsolicited() {
        let book = RedisSubscriptionBook()
        book.connectionOpened()
        _ = subscribe(book, ["a", "b"])
        _ = book.handle(push("ssubscribe", "a", 1))
        _ = book.handle(push("ssubscribe", "b", 2))
        let outcomes = book.handle(push("sunsubscribe", "a", 1))
        guard case .unsolicitedUnsubscribe("a")? = outcomes.first else { return XCTFail("\(outcomes)") }
        XCTAssertEqual(book.desired, ["b"])
    }

    func testASolicitedUnsubscribeIsNotReported() throws {
        let book = RedisSubscriptionBook()
        book.connectionOpened()
        _ = subscribe(book, ["a"])
        _ = book.handle(push("subscribe", "a", 1))
        let removed = book.removeDesired(["a"])
        XCTAssertEqual(removed, ["a"])
        let promise = loop.makePromise(of: Void.self)
        book.waitForUnsubscribe(removed, promise: promise)
        book.didSend(.unsubscribe, channels: removed)
        XCTAssertTrue(book.handle(push("unsubscribe", "a", 0)).isEmpty)
        XCTAssertNoThrow(try promise.futureResult.wait())
    }

    func testAnErrorReplyFailsTheOldestCommandOnly() {
        let book = RedisSubscriptionBook()
        book.connectionOpened()
        let refused = subscribe(book, ["x", "y"])
        let accepted = subscribe(book, ["z"])
        _ = book.handle(.error("NOPERM no permissions"))
        XCTAssertThrowsError(try refused.wait()) {
            XCTAssertEqual($0 as? RedisError, .errorReply("NOPERM no permissions"))
        }
        _ = book.handle(push("subscribe", "z", 1))
        XCTAssertNoThrow(try accepted.wait())
        XCTAssertEqual(book.desired, ["z"])
    }

    func testAClosedConnectionFailsSubscribersAndKeepsTheirChannels() {
        let book = RedisSubscriptionBook()
        book.connectionOpened()
        let future = subscribe(book, ["a"])
        book.connectionClosed()
        XCTAssertThrowsError(try future.wait()) { XCTAssertEqual($0 as? RedisError, .connectionLost) }
        XCTAssertEqual(book.desired, ["a"])
    }

    func testPongAnswersThePing() {
        let book = RedisSubscriptionBook()
        book.connectionOpened()
        book.didSend(.ping, channels: [])
        let pong = RESPValue.array([.bulkString(ByteBuffer(string: "pong")), .bulkString(ByteBuffer())])
        guard case .pong? = book.handle(pong).first else { return XCTFail() }
        guard case .protocolViolation? = book.handle(.simpleString("PONG")).first else { return XCTFail() }
    }

    func testMessagesAreHandedOver() {
        let book = RedisSubscriptionBook()
        let reply = RESPValue.array([.bulkString(ByteBuffer(string: "message")), .bulkString(ByteBuffer(string: "c")),
                                     .bulkString(ByteBuffer(bytes: [0, 1]))])
        guard case .message(let channel, let payload)? = book.handle(reply).first else { return XCTFail() }
        XCTAssertEqual(channel, "c")
        XCTAssertEqual(payload, ByteBuffer(bytes: [0, 1]))
    }
}

extension RedisSubscriptionBookTests {
    func testUnsubscribingBeforeTheConfirmationStillAnswersTheSubscriber() throws {
        let book = RedisSubscriptionBook()
        book.connectionOpened()
        _ = subscribe(book, ["a"])
        _ = book.handle(push("subscribe", "a", 1))
        _ = book.checkAllConfirmed()
        let pending = subscribe(book, ["b"])
        let removed = book.removeDesired(["b"])
        book.didSend(.unsubscribe, channels: removed)
        _ = book.handle(push("subscribe", "b", 2))
        XCTAssertNoThrow(try pending.wait())
        XCTAssertTrue(book.handle(push("unsubscribe", "b", 1)).isEmpty)
        XCTAssertEqual(book.confirmed, ["a"])
    }

    func testAllConfirmedWhenTheLastPendingChannelIsUnsubscribed() {
        let book = RedisSubscriptionBook()
        _ = book.addDesired(["a", "b"])
        book.connectionOpened()
        book.didSend(.subscribe, channels: ["a", "b"])
        XCTAssertTrue(book.handle(push("subscribe", "a", 1)).isEmpty)
        XCTAssertEqual(book.removeDesired(["b"]), ["b"])
        guard case .allConfirmed? = book.checkAllConfirmed() else { return XCTFail() }
        XCTAssertNil(book.checkAllConfirmed())
    }
}
