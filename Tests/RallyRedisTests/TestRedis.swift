import Foundation
import NIOConcurrencyHelpers
import NIOCore
import RallyRedis
import XCTest

/// Where the real Redis of the tests is: `RALLY_TEST_REDIS_URL`, set by `scripts/services.sh start`. Unset, a
/// test that needs it fails, saying how to start it — unless `RALLY_TEST_NO_SERVICES=1` asks to skip such tests.
enum TestRedis {
    static let urlVariable = "RALLY_TEST_REDIS_URL"
    static let optOutVariable = "RALLY_TEST_NO_SERVICES"

    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    /// The server URL, or a skip / a failure with the reason.
    static func url(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> RedisURL {
        if let text = environment[urlVariable], !text.isEmpty { return try RedisURL(text) }
        if environment[optOutVariable] == "1" {
            throw XCTSkip("\(optOutVariable)=1: skipping a test that needs Redis")
        }
        let reason = """
            \(urlVariable) is not set: this test needs a real Redis. Run `eval "$(scripts/services.sh start)"` \
            first (or set \(optOutVariable)=1 to skip the tests that need services).
            """
        XCTFail(reason)
        throw Missing(description: reason)
    }

    /// A configuration for the test server with a fast reconnect.
    static func configuration(clientName: String? = nil) throws -> RedisConfiguration {
        var configuration = RedisConfiguration(url: try url(), clientName: clientName)
        configuration.reconnectBackoff = RedisBackoff(initial: .milliseconds(20), maximum: .milliseconds(200))
        configuration.connectTimeout = .seconds(2)
        return configuration
    }
}

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
