import NIOEmbedded
import RallyHubTestSupport
import RallyProtocol
import XCTest
@testable import RallyHub

/// What a loop's channels share: one storage per topic name, one instance per join config, both bounded however many
/// names and configs clients send.
final class LoopSharingTests: XCTestCase {
    private func storage(_ text: String) -> UnsafeRawPointer? {
        var text = text
        return text.withUTF8 { UnsafeRawPointer($0.baseAddress) }
    }

    /// A name longer than 15 bytes, built at run time (its own heap storage).
    private func name(_ suffix: Int) -> String { "realtime:room-number-" + String(suffix) }

    private func config(presenceKey: String) -> JoinConfig {
        var config = JoinConfig()
        config.presenceKey = presenceKey
        return config
    }

    func testEqualNamesShareOneStorage() {
        let sharing = LoopSharing(eventLoop: EmbeddedEventLoop())
        let decoded = (name(7), name(7))
        XCTAssertNotEqual(storage(decoded.0), storage(decoded.1), "two decodings of a name are two storages")
        let first = sharing.topicName(decoded.0)
        let second = sharing.topicName(decoded.1)
        XCTAssertEqual(first, second)
        XCTAssertEqual(storage(first), storage(second))
    }

    func testEqualConfigsShareOneInstanceUnlessTheyCarryPostgresChanges() {
        let sharing = LoopSharing(eventLoop: EmbeddedEventLoop())
        XCTAssertTrue(sharing.joinConfig(config(presenceKey: "a")) === sharing.joinConfig(config(presenceKey: "a")))
        XCTAssertFalse(sharing.joinConfig(config(presenceKey: "a")) === sharing.joinConfig(config(presenceKey: "b")))
        var changes = JoinConfig()
        changes.postgresChanges = [["event": .string("*"), "schema": .string("public")]]
        XCTAssertFalse(sharing.joinConfig(changes) === sharing.joinConfig(changes))
        XCTAssertEqual(sharing.joinConfig(changes).value, changes)
    }

    func testTheCachesAreBounded() {
        var cache = SharingCache<String, String>(capacity: 8)
        for suffix in 0..<100 { _ = cache.shared(name(suffix)) { $0 } }
        XCTAssertLessThanOrEqual(cache.count, 8)
        let recent = cache.shared(name(99)) { $0 }
        XCTAssertEqual(storage(recent), storage(cache.shared(name(99)) { $0 }))
        let sharing = LoopSharing(eventLoop: EmbeddedEventLoop())
        for suffix in 0..<(2 * LoopSharing.joinConfigCapacity) { _ = sharing.joinConfig(config(presenceKey: "\(suffix)")) }
        XCTAssertLessThanOrEqual(sharing.counts.joinConfigs, LoopSharing.joinConfigCapacity)
    }

    func testTwoSocketsOnOneTopicHoldOneNameAndOneConfig() async throws {
        let harness = try await HubHarness()
        let first = try await harness.connect(), second = try await harness.connect()
        XCTAssertEqual(first.join(name(1))?["status"], .string("ok"))
        XCTAssertEqual(second.join(name(1))?["status"], .string("ok"))
        let shared = try await first.connection.eventLoop.submit {
            let channels = [first.connection.registry.channels[0], second.connection.registry.channels[0]]
            let names = channels.map(\.topic) + channels.compactMap { $0.subscription?.topic }
            return (names, channels[0].sharedConfig === channels[1].sharedConfig)
        }.get()
        XCTAssertEqual(shared.0.count, 4)
        XCTAssertEqual(Set(shared.0.map(storage)).count, 1)
        XCTAssertTrue(shared.1)
        try await harness.shutdown()
    }
}
