import Logging
import NIOCore
import RallyClient
import RallyProtocol
import RallyRedis

/// Publishes stamps as a backend service does: `PUBLISH rally:in {"topic","event","payload"}` on one pipelined Redis
/// connection. Every node subscribed to `rally:in` delivers the message as an ordinary broadcast.
final class RedisStampPublisher: StampPublisher {
    static let ingressChannel = "rally:in"

    private let connection: RedisConnection
    private let topic: String
    private let payloadSize: Int
    /// Fewest receivers a PUBLISH must reach (the nodes); fewer means a node was not listening.
    private let expectedReceivers: Int
    private let shortReceivers = Locked(0)

    init(url: String, topic: String, payloadSize: Int, expectedReceivers: Int, on loop: EventLoop) async throws {
        var configuration = try RedisConfiguration(url: url, clientName: "rally-loadtest")
        configuration.maxInFlightCommands = 1_000_000
        var logger = Logger(label: "rally-loadtest.redis")
        logger.logLevel = .warning
        connection = try await RedisConnection.connect(configuration: configuration, eventLoop: loop, logger: logger).get()
        self.topic = topic
        self.payloadSize = payloadSize
        self.expectedReceivers = expectedReceivers
    }

    /// The JSON form a service publishes; the stamp is the payload.
    func envelope(_ stamp: Stamp) -> ByteBuffer {
        let document: JSON = .object(["topic": .string(topic), "event": .string("load"), "payload": stamp.jsonValue(padTo: payloadSize)])
        return document.serializedBuffer()
    }

    /// Completes with Redis's reply (the number of subscribers that got it); an error reply fails.
    func publish(_ stamp: Stamp) -> EventLoopFuture<Void> {
        let arguments = [ByteBuffer(string: "PUBLISH"), ByteBuffer(string: Self.ingressChannel), envelope(stamp)]
        return connection.send(arguments).flatMapThrowing { [self] reply in
            guard case .integer(let receivers) = reply else { throw LoadTestError("PUBLISH answered \(reply)") }
            if receivers < expectedReceivers { shortReceivers.withValue { $0 += 1 } }
        }
    }

    /// PUBLISHes that reached fewer subscribers of rally:in than there are nodes.
    var publishesShortOfReceivers: Int { shortReceivers.current }

    func close() async {
        try? await connection.shutdown().get()
    }
}

/// A Rally socket joined with `broadcast.ack`: each broadcast completes when the node's ok reply arrives
/// (the one-at-a-time style over WebSocket).
final class AckedWebSocketPublisher: StampPublisher {
    private let client: LoadClient
    private let payloadSize: Int

    init(client: LoadClient, payloadSize: Int) {
        self.client = client
        self.payloadSize = payloadSize
    }

    func publish(_ stamp: Stamp) -> EventLoopFuture<Void> {
        guard case .rally(let connection, let topic) = client.transport else {
            return client.socket.eventLoop.makeFailedFuture(LoadTestError("acked broadcasts need a Rally mode"))
        }
        let payload = BroadcastPayload.json(stamp.jsonValue(padTo: payloadSize))
        return connection.sendBroadcast(topic: topic, event: "load", payload: payload, awaitAck: true).flatMapThrowing { reply in
            guard let reply, reply.isOK else {
                throw LoadTestError("broadcast not acknowledged: \(reply?.reason ?? reply?.status ?? "no reply")")
            }
        }
    }

    func close() async {
        try? await client.close().get()
    }
}

/// Builds the publisher a cluster run asks for.
enum ClusterPublisherFactory {
    static func make(_ command: ClusterCommand, group: EventLoopGroup) async throws -> StampPublisher {
        let nodeURL = command.publishNode ?? command.nodes.nodes[0]
        switch (command.via, command.publish) {
        case (.redis, _):
            return try await RedisStampPublisher(
                url: command.redisUrl ?? "", topic: command.topic, payloadSize: command.payloadSize,
                expectedReceivers: command.nodes.nodes.count, on: group.next())
        case (.node, .http):
            let url = try WebSocketURL(parsing: nodeURL)
            return try await HTTPStampPublisher(
                url: "http://\(url.hostHeader)/api/broadcast", rallyTopic: command.topic, token: command.nodes.token,
                payloadSize: command.payloadSize, connections: 1, group: group)
        case (.node, .ws):
            let target = try command.nodes.target(node: nodeURL)
            let join = JoinOptions(broadcastAck: command.oneAtATime)
            let client = try await target.connect(
                index: command.subscribers, topic: command.topic, join: join, on: group.next(), onStamp: { _ in },
                onOther: {}
            ).get()
            if command.oneAtATime { return AckedWebSocketPublisher(client: client, payloadSize: command.payloadSize) }
            return WebSocketStampPublisher(client: client, payloadSize: command.payloadSize)
        }
    }
}
