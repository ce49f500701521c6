import Foundation
import RallyClient
import RallyLive
import RallyProtocol
import RallyTestSupport
import XCTest

/// Sockets of named people (or `service_role`) on a node, and the waits the privacy tests share.
extension NodeHarness {
    func connect(as user: UUID?, role: String = "authenticated", version: ProtocolVersion = .v1) async throws
        -> TestConnection {
        let token = try await token(role: role, subject: user?.uuidString.lowercased())
        let recorder = EventRecorder()
        let connection = try await RealtimeConnection.connect(
            to: base, version: version, apiKey: token, inbound: .callback({ recorder.record($0) }), on: clientGroup)
        return TestConnection(connection: connection, events: recorder)
    }

    /// Waits (polling, up to `timeout`) until the node's change feeds listen: live joins are refused before.
    func waitUntilListening(timeout: TimeInterval = 10, file: StaticString = #filePath, line: UInt = #line)
        async throws {
        let listening = try await Polling.until(timeout: .seconds(timeout)) {
            (node.services.feeds as? LiveFeeds)?.isConnected == true
        }
        XCTAssertTrue(listening, "the change feed is not listening", file: file, line: line)
    }

    func userToken(_ user: UUID) async throws -> String {
        try await token(subject: user.uuidString.lowercased())
    }
}

extension TestConnection {
    func assertJoins(_ topic: String, options: JoinOptions = .init(), file: StaticString = #filePath,
                     line: UInt = #line) async throws {
        let reply = try await connection.join(topic, options: options)
        XCTAssertTrue(reply.isOK, "\(topic): \(reply)", file: file, line: line)
    }

    /// Broadcasts that arrived on `topic` under `event`.
    func received(_ event: String, on topic: String) -> [ServerEvent] {
        events.all.filter { $0.topic == topic && $0.broadcastEvent == event }
    }

    /// The string field `key` of every `event` broadcast on `topic`, in order.
    func values(_ event: String, on topic: String, _ key: String) -> [String?] {
        received(event, on: topic).map { Self.field($0.broadcastPayload, key)?.stringValue }
    }

    /// Waits for `event` on `topic` whose payload field `key` is `value`.
    @discardableResult
    func waitFor(_ event: String, on topic: String, _ key: String, _ value: String, file: StaticString = #filePath,
                 line: UInt = #line) -> ServerEvent? {
        events.first(file: file, line: line) {
            $0.topic == topic && $0.broadcastEvent == event && Self.field($0.broadcastPayload, key) == .string(value)
        }
    }

    static func field(_ payload: BroadcastPayload?, _ key: String) -> JSON? {
        guard case .json(let value)? = payload else { return nil }
        return value[key]
    }
}

/// `{key: value}`.
func object(_ key: String, _ value: String) -> JSON { .object([key: .string(value)]) }

extension UUID {
    /// `realtime:<kind>:<id>`.
    func topic(_ kind: String) -> String { "realtime:\(kind):\(uuidString.lowercased())" }
}
