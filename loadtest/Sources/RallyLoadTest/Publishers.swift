import Foundation
import NIOCore
import RallyClient
import RallyProtocol

/// Publishes stamped messages to the topic under test.
protocol StampPublisher: Sendable {
    /// Completes when the message was accepted (HTTP 2xx) or written to the socket (WebSocket).
    func publish(_ stamp: Stamp) -> EventLoopFuture<Void>
    func close() async
}

/// HTTP POST publishing over a few keep-alive connections: Nchan's `/pub/<channel>` (the body is the
/// stamp itself) or Rally's `POST /api/broadcast` (a one-message batch, Bearer token).
final class HTTPStampPublisher: StampPublisher {
    private let connections: [HTTPClientConnection]
    private let path: String
    private let rallyTopic: String?
    private let token: String?
    private let payloadSize: Int
    private let turn = Locked(0)

    /// `url`: http://host:port/path. `rallyTopic`: the topic name (without `realtime:`) for Rally's
    /// batch body; nil posts the bare stamp (raw peers).
    init(url: String, rallyTopic: String?, token: String?, payloadSize: Int, connections count: Int, group: EventLoopGroup) async throws {
        guard url.hasPrefix("http://") else { throw LoadTestError("publish URL must start with http://: \(url)") }
        let parsed = try WebSocketURL(parsing: "ws://" + url.dropFirst("http://".count))
        var opened: [HTTPClientConnection] = []
        for _ in 0..<max(1, count) {
            opened.append(try await HTTPClientConnection.connect(host: parsed.host, port: parsed.port, on: group).get())
        }
        connections = opened
        path = parsed.requestTarget
        self.rallyTopic = rallyTopic
        self.token = token
        self.payloadSize = payloadSize
    }

    func publish(_ stamp: Stamp) -> EventLoopFuture<Void> {
        let connection = connections[turn.withValue { turn in
            turn = (turn + 1) % connections.count
            return turn
        }]
        let response: EventLoopFuture<HTTPClientResponse>
        if let rallyTopic {
            let message = BroadcastAPI.Message(topic: rallyTopic, event: "load", payload: stamp.jsonValue(padTo: payloadSize))
            response = BroadcastAPI.post([message], token: token, over: connection, path: path)
        } else {
            var body = connection.channel.allocator.buffer(capacity: 64)
            body.writeString(stamp.json(padTo: payloadSize))
            response = connection.post(path: path, headers: ["Content-Type": "application/json"], body: body)
        }
        return response.flatMapThrowing { response in
            guard (200..<300).contains(response.status) else {
                throw LoadTestError("publish answered HTTP \(response.status): \(response.bodyText.prefix(200))")
            }
        }
    }

    func close() async {
        for connection in connections { connection.close() }
    }
}

/// WebSocket publishing: a raw connection sending text frames (e.g. Nchan's pubsub location) or a
/// Rally socket joined to the topic sending broadcasts (binary kind 3 in v2, text in v1).
final class WebSocketStampPublisher: StampPublisher {
    private let client: LoadClient
    private let payloadSize: Int

    init(client: LoadClient, payloadSize: Int) {
        self.client = client
        self.payloadSize = payloadSize
    }

    func publish(_ stamp: Stamp) -> EventLoopFuture<Void> {
        client.send(stamp, padTo: payloadSize)
        return client.socket.eventLoop.makeSucceededVoidFuture()
    }

    func close() async {
        try? await client.close().get()
    }
}
