import Foundation
import NIOCore
import NIOPosix
import RallyAuth
import RallyBus
import RallyProtocol
import RallyWebSocket
import XCTest
@testable import RallyHub

/// A hub on two real event loops (so fanout crosses loops), with fake sockets.
public final class HubHarness {
    public static let secret = "test-secret-0123456789abcdef"
    public let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    public let services: HubServices
    public let verifier: TokenVerifier

    /// The hub's wall clock; tests move it to exercise token expiry without waiting.
    public let clock = TestClock()

    /// - Parameter bus: with a bus, the harness is one node of several (`MultiNodeHubTests`).
    public init(limits: HubLimits = HubHarness.fastLimits(), authorizer: TopicAuthorizer = FreeFormAuthorizer(),
         feeds: TopicFeeds = NoFeeds(), bus: MemoryBus? = nil, cluster: ClusterSettings = ClusterSettings())
        async throws {
        verifier = try await TokenVerifier(configuration: AuthConfiguration(jwtSecret: Self.secret, jwksPath: nil))
        let clock = self.clock
        let busLoop = group.next()
        let broker = bus.map { MemoryBroker(bus: $0, eventLoop: busLoop) }
        let hub = Hub(group: group, shardsPerLoop: 4, broker: broker, cluster: cluster)
        services = HubServices(hub: hub, verifier: verifier, authorizer: authorizer,
                               feeds: feeds, limits: limits, now: { clock.now })
        if broker != nil { try await hub.startBus().get() }
    }

    public static func fastLimits() -> HubLimits {
        var limits = HubLimits()
        limits.joinErrorDelay = .zero
        return limits
    }

    public func shutdown() async throws { try await group.shutdownGracefully() }

    public func token(subject: String? = "user-1", role: String = "authenticated", expiresIn: TimeInterval = 3600)
        async throws -> String {
        try await verifier.signHS256(subject: subject, role: role, expiresAt: clock.now.addingTimeInterval(expiresIn))
    }

    /// A connected fake socket on loop `loopIndex`.
    public func connect(version: ProtocolVersion = .v1, loopIndex: Int = 0, subject: String? = "user-1",
                 role: String = "authenticated") async throws -> TestClient {
        let token = try await token(subject: subject, role: role)
        let loop = services.hub.loops[loopIndex]
        let identity = try await verifier.verify(token, now: clock.now).get()
        let transport = RecordingTransport(eventLoop: loop)
        let connection = try await loop.submit { [services] in
            let connection = services.makeConnection(on: loop, version: version, token: token, identity: identity)
            connection.attach(transport)
            return connection
        }.get()
        return TestClient(connection: connection, transport: transport, version: version, token: token)
    }
}

/// One fake client: sends frames in its version's format and reads what came back.
public struct TestClient {
    public let connection: ClientConnection
    public let transport: RecordingTransport
    public let version: ProtocolVersion
    public let token: String

    public func send(topic: String, event: String, payload: JSON, ref: String?, joinRef: String? = nil) {
        let refJSON: JSON = ref.map(JSON.string) ?? .null
        let joinRefJSON: JSON = joinRef.map(JSON.string) ?? .null
        let frame: JSON
        switch version {
        case .v1:
            frame = .object(["topic": .string(topic), "event": .string(event), "payload": payload, "ref": refJSON,
                             "join_ref": joinRefJSON])
        case .v2:
            frame = .array([joinRefJSON, refJSON, .string(topic), .string(event), payload])
        }
        var buffer = ByteBuffer()
        frame.write(to: &buffer)
        sendRaw(.text(buffer))
    }

    public func sendRaw(_ message: WebSocketMessage) {
        let connection = self.connection
        connection.eventLoop.execute { connection.receive(message) }
    }

    /// Joins and waits for the ok reply (ref = join_ref = `ref`).
    @discardableResult
    public func join(_ topic: String, config: JSON = .object(["broadcast": .object(["self": .bool(false)])]),
              ref: String = "1", extra: JSONObject = [:]) -> JSON? {
        var payload: JSONObject = ["config": config]
        for field in extra.fields { payload[field.key] = field.value }
        send(topic: topic, event: "phx_join", payload: .object(payload), ref: ref, joinRef: ref)
        return waitForReply(ref: ref)
    }

    public func broadcast(_ topic: String, event: String, payload: JSON, ref: String, joinRef: String = "1") {
        send(topic: topic, event: "broadcast",
             payload: .object(["type": .string("broadcast"), "event": .string(event), "payload": payload]),
             ref: ref, joinRef: joinRef)
    }

    public func waitForReply(ref: String, timeout: TimeInterval = 5, file: StaticString = #filePath,
                             line: UInt = #line) -> JSON? {
        transport.waitForFrame(timeout: timeout, file: file, line: line) { frame in
            guard let json = frame.json else { return false }
            return json.eventName == "phx_reply" && json.refValue == .string(ref)
        }?.json?.payloadValue
    }
}

extension HubHarness {
    /// A barrier: once it returns, every fanout already dispatched for `topic` has been handled by `client`'s loop.
    /// (The shard's loop finishes dispatching, then a heartbeat round trip drains the client's loop.)
    /// Asks `condition` on `loop` until it holds or `timeout` passes (10 ms apart); returns the last answer.
    public func eventually(on loop: EventLoop, timeout: TimeInterval = 10,
                    _ condition: @escaping @Sendable () -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if try await loop.submit(condition).get() { return true }
            guard Date() < deadline else { return false }
            try await loop.scheduleTask(in: .milliseconds(10)) {}.futureResult.get()
        }
    }

    /// Waits until `condition` holds for `connection`, evaluated on the connection's own event loop.
    public func eventually(on connection: ClientConnection, timeout: TimeInterval = 10,
                           _ condition: @escaping @Sendable (ClientConnection) -> Bool) async throws -> Bool {
        let confined = LoopConfinedConnection(connection)
        return try await eventually(on: connection.eventLoop, timeout: timeout) { condition(confined.connection) }
    }

    public func settle(_ client: TestClient, topic: String, ref: String) async throws {
        _ = try await services.hub.subscriberCount(topic: topic).get()
        client.send(topic: "phoenix", event: "heartbeat", payload: .emptyObject, ref: ref)
        XCTAssertNotNil(client.waitForReply(ref: ref))
    }
}

/// A settable wall clock.
public final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current = Date()
    public init() {}

    public var now: Date {
        lock.lock(); defer { lock.unlock() }
        return current
    }
    public func advance(by seconds: TimeInterval) {
        lock.lock(); defer { lock.unlock() }
        current = current.addingTimeInterval(seconds)
    }
}

/// A connection carried to its own event loop. `ClientConnection` is not `Sendable` because its state is touched
/// only on its loop; the box may cross threads, and `connection` traps unless read on that loop, which is what
/// makes the unchecked conformance safe.
struct LoopConfinedConnection: @unchecked Sendable {
    private let value: ClientConnection
    private let loop: EventLoop

    init(_ connection: ClientConnection) {
        self.value = connection
        self.loop = connection.eventLoop
    }

    var connection: ClientConnection {
        loop.preconditionInEventLoop()
        return value
    }
}
