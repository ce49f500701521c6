import NIOEmbedded
import RallyHubTestSupport
import RallyProtocol
import XCTest
@testable import RallyHub

/// The loop's shared topic names: one storage per name, bounded however many names clients send.
final class TopicNamesTests: XCTestCase {
    private func storage(_ text: String) -> UnsafeRawPointer? {
        var text = text
        return text.withUTF8 { UnsafeRawPointer($0.baseAddress) }
    }

    /// A name longer than 15 bytes, built at run time (its own heap storage).
    private func name(_ suffix: Int) -> String { "realtime:room-number-" + String(suffix) }

    func testEqualNamesShareOneStorage() {
        let names = TopicNames(eventLoop: EmbeddedEventLoop())
        let decoded = (name(7), name(7))
        XCTAssertNotEqual(storage(decoded.0), storage(decoded.1), "two decodings of a name are two storages")
        let first = names.shared(decoded.0)
        let second = names.shared(decoded.1)
        XCTAssertEqual(first, second)
        XCTAssertEqual(storage(first), storage(second))
    }

    func testTheCacheIsBounded() {
        let names = TopicNames(eventLoop: EmbeddedEventLoop(), capacity: 8)
        for suffix in 0..<100 { _ = names.shared(name(suffix)) }
        XCTAssertLessThanOrEqual(names.count, 8)
        let recent = names.shared(name(99))
        XCTAssertEqual(storage(recent), storage(names.shared(name(99))))
    }

    func testTwoSocketsOnOneTopicHoldOneName() async throws {
        let harness = try await HubHarness()
        let first = try await harness.connect(), second = try await harness.connect()
        XCTAssertEqual(first.join(name(1))?["status"], .string("ok"))
        XCTAssertEqual(second.join(name(1))?["status"], .string("ok"))
        let topics = try await first.connection.eventLoop.submit {
            [first.connection.registry.channels[0].topic, second.connection.registry.channels[0].topic,
             second.connection.registry.channels[0].subscription?.topic ?? ""]
        }.get()
        XCTAssertEqual(Set(topics.map(storage)).count, 1)
        try await harness.shutdown()
    }
}
