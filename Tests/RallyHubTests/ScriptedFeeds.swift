import Foundation
import NIOConcurrencyHelpers
import NIOCore
import RallyProtocol
@testable import RallyHub

/// Live feeds a test steers: joins wait until the test completes them (with a backlog), writes follow a table
/// by event name, and every join and leave is counted.
final class ScriptedFeeds: TopicFeeds, @unchecked Sendable {
    struct State {
        var pending: [EventLoopPromise<FeedJoinOutcome>] = []
        var joins = 0
        var leaves = 0
    }

    let holdJoins: Bool
    let writes: [String: WriteDisposition]
    let state = NIOLockedValueBox(State())
    private let joined = NSCondition()

    init(holdJoins: Bool = false, writes: [String: WriteDisposition] = [:]) {
        self.holdJoins = holdJoins
        self.writes = writes
    }

    func join(_ join: FeedJoin, on loop: EventLoop) -> EventLoopFuture<FeedJoinOutcome> {
        let promise = loop.makePromise(of: FeedJoinOutcome.self)
        state.withLockedValue { state in
            state.joins += 1
            if holdJoins { state.pending.append(promise) }
        }
        if !holdJoins { promise.succeed(.ready(.empty)) }
        joined.lock(); joined.broadcast(); joined.unlock()
        return promise.futureResult
    }

    func leave(_ join: FeedJoin) {
        state.withLockedValue { $0.leaves += 1 }
        joined.lock(); joined.broadcast(); joined.unlock()
    }

    func write(_ write: FeedWrite) -> WriteDisposition {
        writes[write.event] ?? .publish
    }

    /// Waits until `count` joins are held, then completes the oldest with `outcome`.
    func completeNextJoin(with outcome: FeedJoinOutcome, timeout: TimeInterval = 5) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        joined.lock()
        defer { joined.unlock() }
        while true {
            let promise = state.withLockedValue { state in state.pending.isEmpty ? nil : state.pending.removeFirst() }
            if let promise {
                promise.succeed(outcome)
                return true
            }
            if !joined.wait(until: deadline) { return false }
        }
    }

    /// Waits until the leave count reaches `count`.
    func waitForLeaves(_ count: Int, timeout: TimeInterval = 5) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        joined.lock()
        defer { joined.unlock() }
        while state.withLockedValue({ $0.leaves }) < count {
            if !joined.wait(until: deadline) { return false }
        }
        return true
    }
}
