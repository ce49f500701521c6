import Foundation
import XCTest

/// What a test saw arrive, in order (frames a fake socket was sent, events a client received), and a wait for a
/// condition on it with a deadline — never a sleep. Safe to record from any thread.
public final class Recorder<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    private var elements: [Element] = []
    /// What the elements are, for failure messages ("frame", "event").
    private let noun: String

    public init(noun: String = "event") { self.noun = noun }

    public func record(_ element: Element) {
        condition.lock()
        elements.append(element)
        condition.broadcast()
        condition.unlock()
    }

    public var all: [Element] {
        condition.lock()
        defer { condition.unlock() }
        return elements
    }

    /// The first recorded element satisfying `match`, waiting up to `timeout`.
    @discardableResult
    public func first(timeout: TimeInterval = 5, file: StaticString = #filePath, line: UInt = #line,
                      where match: (Element) -> Bool) -> Element? {
        waitUntil(timeout: timeout) { $0.first(where: match) } ?? {
            XCTFail("no matching \(noun) within \(timeout)s (\(all.count) recorded)", file: file, line: line)
            return nil
        }()
    }

    /// Waits until `count` elements satisfy `match`; returns them (fewer, and a failure, after `timeout`).
    @discardableResult
    public func wait(count: Int, timeout: TimeInterval = 10, file: StaticString = #filePath, line: UInt = #line,
                     where match: (Element) -> Bool) -> [Element] {
        if let matching = waitUntil(timeout: timeout, { elements in
            let matching = elements.filter(match)
            return matching.count >= count ? matching : nil
        }) {
            return matching
        }
        let matching = all.filter(match)
        XCTFail("\(matching.count) of \(count) \(noun)s within \(timeout)s", file: file, line: line)
        return matching
    }

    /// Asks `answer` about everything recorded, each time something new arrives, until it answers or the deadline.
    private func waitUntil<Answer>(timeout: TimeInterval, _ answer: ([Element]) -> Answer?) -> Answer? {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let found = answer(elements) { return found }
            if !condition.wait(until: deadline) { return nil }
        }
    }
}
