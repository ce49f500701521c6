import XCTest

@testable import RallyWebSocket

/// The count behind a session's outbound bound, without I/O.
final class OutboundLedgerTests: XCTestCase {
    func testFlushedBytesCountUntilTheSocketSaysItHoldsLess() {
        var ledger = OutboundLedger(limit: 1000)
        ledger.accept(600)
        ledger.flush()
        XCTAssertEqual(ledger.queuedBytes, 600)
        XCTAssertFalse(ledger.admits(500), "600 may still be in the socket")
        ledger.refresh(socketHolds: 100)
        XCTAssertEqual(ledger.queuedBytes, 100)
        XCTAssertTrue(ledger.admits(500))
    }

    func testRefreshNeverRaisesTheCount() {
        var ledger = OutboundLedger(limit: 1000)
        ledger.accept(300)
        ledger.flush()
        ledger.refresh(socketHolds: 900)  // bytes of others (a close frame, a reply) are not this ledger's
        XCTAssertEqual(ledger.queuedBytes, 300)
    }

    func testBytesHandedAheadOfTheFlushAreNotCountedTwice() {
        var ledger = OutboundLedger(limit: 10_000)
        ledger.accept(400)
        ledger.flush()
        ledger.accept(5000)
        ledger.hand(5000)  // a full batch went to the channel unflushed
        ledger.accept(200)
        ledger.refresh(socketHolds: 5000 + 150)  // 150 of the flushed 400 still there
        XCTAssertEqual(ledger.queuedBytes, 5200 + 150)
        ledger.flush()
        XCTAssertEqual(ledger.handedBytes, 0)
        ledger.refresh(socketHolds: 0)
        XCTAssertEqual(ledger.queuedBytes, 0)
    }

    func testAMessageLargerThanTheBoundFitsAnEmptyQueue() {
        var ledger = OutboundLedger(limit: 100)
        XCTAssertTrue(ledger.admits(500))
        ledger.accept(500)
        XCTAssertFalse(ledger.admits(1))
    }
}
