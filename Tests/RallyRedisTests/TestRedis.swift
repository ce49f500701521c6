import Foundation
import NIOConcurrencyHelpers
import NIOCore
import RallyRedis
import RallyTestSupport
import XCTest

struct TimedOut: Error, CustomStringConvertible {
    var description: String
}

extension EventLoopFuture {
    /// Waits for the result, failing after `timeout` instead of hanging the test run.
    func wait(timeout: TimeAmount, _ what: String = "future") throws -> Value {
        let promise = eventLoop.makePromise(of: Value.self)
        cascade(to: promise)
        let timer = eventLoop.scheduleTask(in: timeout) { promise.fail(TimedOut(description: "\(what) timed out")) }
        defer { timer.cancel() }
        return try promise.futureResult.wait()
    }
}

/// Records what a callback reports and lets a test wait, with a deadline, for a condition on the record.
final class Recorder<Event: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var events: [Event] = []

    func append(_ event: Event) {
        condition.lock()
        events.append(event)
        condition.broadcast()
        condition.unlock()
    }

    var all: [Event] {
        condition.lock()
        defer { condition.unlock() }
        return events
    }

    func removeAll() {
        condition.lock()
        events.removeAll()
        condition.unlock()
    }

    /// Waits until `predicate` holds for the events so far (woken by each append), or fails after `timeout`.
    @discardableResult
    func wait(timeout: TimeInterval = 10, _ what: String, until predicate: ([Event]) -> Bool) throws -> [Event] {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while !predicate(events) {
            guard condition.wait(until: deadline) || predicate(events) else {
                throw TimedOut(description: "timed out waiting for \(what); got \(events)")
            }
        }
        return events
    }
}
