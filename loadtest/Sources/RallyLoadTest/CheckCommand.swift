import ArgumentParser
import NIOCore
import NIOPosix
import RallyClient
import RallyProtocol

/// A quick protocol round trip against a Rally-compatible server, to see that client and server agree
/// before loading them: join, heartbeat, broadcast to self with ack (JSON; binary too in v2),
/// presence track, leave; optionally a refused upgrade.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Protocol round trip (join, heartbeat, broadcast, presence, leave) in v1 and v2.")

    @Option(help: "Rally WebSocket URL, e.g. ws://127.0.0.1:4000/socket/websocket.")
    var url: String
    @Option(help: "JWT sent as apikey.")
    var token: String?
    @Option(help: "An apikey the server must refuse; checks that the HTTP status and body come back.")
    var refusedToken: String?
    @Option(help: "Seconds to wait for each reply or event.")
    var timeout: Double = 5

    func run() async throws {
        for version in [ProtocolVersion.v1, .v2] {
            try await check(version: version)
            Console.err("check \(version == .v1 ? "1.0.0" : "2.0.0"): ok")
        }
        if let refusedToken {
            do {
                _ = try await RealtimeConnection.connect(to: url, version: .v2, apiKey: refusedToken)
                throw LoadTestError("apikey \(refusedToken) was not refused")
            } catch let error as WebSocketClientError {
                guard let status = error.refusalStatus else { throw error }
                Console.err("check refusal: HTTP \(status) \(error.refusalBody ?? "")")
            }
        }
    }

    private func check(version: ProtocolVersion) async throws {
        var options = RealtimeOptions()
        options.replyTimeout = .milliseconds(Int64(timeout * 1000))
        let connection = try await RealtimeConnection.connect(to: url, version: version, apiKey: token, options: options)
        let topic = "realtime:check-\(version == .v1 ? 1 : 2)"
        try expect(try await connection.heartbeat(), "heartbeat")
        try expect(try await connection.join(topic, options: JoinOptions(broadcastSelf: true, broadcastAck: true)), "join")
        let payload: JSON = .object(["n": .int(1), "text": .string("héllo")])
        try expect(try await connection.broadcast(topic: topic, event: "ping", payload: payload, awaitAck: true), "broadcast ack")
        let echo = try await nextEvent(connection) { $0.broadcastEvent == "ping" }
        guard echo.broadcastPayload == .json(payload) else { throw LoadTestError("broadcast came back as \(echo.payload)") }
        if version == .v2 {
            var bytes = ByteBuffer()
            bytes.writeBytes([0, 1, 2, 255])
            try expect(try await connection.broadcast(topic: topic, event: "bin", binary: bytes, awaitAck: true), "binary ack")
            let binary = try await nextEvent(connection) { $0.broadcastEvent == "bin" }
            guard binary.binaryPayload == bytes else { throw LoadTestError("binary broadcast came back as \(binary)") }
        }
        try expect(try await connection.track(topic: topic, payload: .object(["user": .string("check")])), "track")
        try expect(try await connection.leave(topic), "leave")
        await connection.close()
    }

    private func expect(_ reply: Reply?, _ what: String) throws {
        guard let reply else { throw LoadTestError("\(what): no reply") }
        guard reply.isOK else { throw LoadTestError("\(what) answered \(reply.status): \(reply.response)") }
    }

    /// The next event matching `predicate`, within the timeout.
    private func nextEvent(_ connection: RealtimeConnection, _ predicate: @escaping @Sendable (ServerEvent) -> Bool) async throws -> ServerEvent {
        let events = connection.events
        let seconds = timeout
        return try await withThrowingTaskGroup(of: ServerEvent?.self) { group in
            group.addTask {
                for await event in events where predicate(event) { return event }
                return nil
            }
            group.addTask {
                try await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            guard let first else { throw LoadTestError("no matching event within \(seconds) s") }
            return first
        }
    }
}
