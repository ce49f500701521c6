import Foundation
import NIOCore
import RallyClient
import RallyProtocol

/// One generator connection: a raw WebSocket or a Rally socket joined to its topic.
final class LoadClient: Sendable {
    enum Transport: Sendable {
        case raw(WebSocketConnection)
        case rally(RealtimeConnection, topic: String)
    }

    let transport: Transport

    init(transport: Transport) {
        self.transport = transport
    }

    var socket: WebSocketConnection {
        switch transport {
        case .raw(let socket): return socket
        case .rally(let connection, _): return connection.socket
        }
    }

    /// Sends a stamped message: a text frame (raw) or a broadcast of `event` on the joined topic (Rally).
    func send(_ stamp: Stamp, event: String = "load", padTo size: Int = 0) {
        let text = stamp.json(padTo: size)
        switch transport {
        case .raw(let socket):
            var buffer = socket.channel.allocator.buffer(capacity: text.utf8.count)
            buffer.writeString(text)
            socket.send(WebSocketClientMessage(kind: .text, data: buffer))
        case .rally(let connection, let topic):
            _ = connection.sendBroadcast(topic: topic, event: event, payload: .json(stamp.jsonValue(padTo: size)))
        }
    }

    /// Sends a durable chat `message` (Rally's `group:` topics): `{"body": "<from>#<seq>", "metadata": <stamp>}`.
    /// The reply says whether Rally stored it.
    func sendChatMessage(_ stamp: Stamp, padTo size: Int = 0) -> EventLoopFuture<Reply?> {
        guard case .rally(let connection, let topic) = transport else {
            return socket.eventLoop.makeFailedFuture(LoadTestError("durable chat needs a Rally mode"))
        }
        let body = "\(stamp.from ?? 0)#\(stamp.seq)"
        let payload: JSON = .object(["body": .string(body), "metadata": stamp.jsonValue(padTo: size)])
        return connection.sendBroadcast(topic: topic, event: "message", payload: .json(payload), awaitAck: true)
    }

    /// Closes politely and waits at most `timeout` for the server.
    func close(timeout: TimeAmount = .seconds(3)) -> EventLoopFuture<Void> {
        let socket = self.socket
        socket.startClose()
        let loop = socket.eventLoop
        let timer = loop.scheduleTask(in: timeout) { socket.abort() }
        return socket.closeFuture.map { _ in timer.cancel() }
    }
}

/// What a scenario needs to open its connections.
struct ClientTarget: Sendable {
    let mode: Mode
    private(set) var urlTemplate: String
    private var fixedURL: WebSocketURL?
    let token: String?
    let subscribeMessage: String?
    let sources: SourceAddressPool
    var webSocket = WebSocketClientConfiguration()
    /// Rally: heartbeat interval for long holds.
    var heartbeat: TimeAmount? = .seconds(25)

    init(options: ConnectionOptions) throws {
        try self.init(
            mode: options.mode, url: options.url, token: options.token, subscribeMessage: options.subscribeMessage,
            sourceAddresses: options.sourceAddresses, connectTimeout: options.connectTimeout)
    }

    init(mode: Mode, url: String, token: String?, subscribeMessage: String? = nil, sourceAddresses: String,
         connectTimeout: Double) throws {
        self.mode = mode
        urlTemplate = url
        fixedURL = Self.fixedURL(url)
        self.token = token
        self.subscribeMessage = subscribeMessage
        sources = try SourceAddressPool(parsing: sourceAddresses)
        webSocket.connectTimeout = .seconds(10)
        webSocket.upgradeTimeout = .milliseconds(Int64(min(15, connectTimeout) * 1000))
        webSocket.closeTimeout = .seconds(2)
    }

    /// The same target at another URL (the publisher's, for instance).
    func with(urlTemplate: String) -> ClientTarget {
        var copy = self
        copy.urlTemplate = urlTemplate
        copy.fixedURL = Self.fixedURL(urlTemplate)
        return copy
    }

    /// The URL for `topic`: `{topic}` replaced (raw), the template as is (Rally; parsed once).
    func url(topic: String) throws -> WebSocketURL {
        if let fixedURL { return fixedURL }
        return try WebSocketURL(parsing: urlTemplate.replacingOccurrences(of: "{topic}", with: topic))
    }

    /// The template parsed, when it names no topic (the same URL for every connection).
    private static func fixedURL(_ template: String) -> WebSocketURL? {
        template.contains("{topic}") ? nil : try? WebSocketURL(parsing: template)
    }

    /// Connects client number `index` (its source address follows from it) and, in Rally mode,
    /// joins `realtime:<topic>` (unless `joining` is false); `token` replaces the target's token. Stamped frames
    /// go to `onStamp` (with `requireStoredID`, only those carrying `meta.id`), all others to `onOther`; both run
    /// on `loop`.
    func connect(
        index: Int, topic: String, token: String? = nil, join: JoinOptions = .init(), joining: Bool = true,
        requireStoredID: Bool = false, on loop: EventLoop,
        onStamp: @escaping @Sendable (Stamp) -> Void, onOther: @escaping @Sendable () -> Void
    ) -> EventLoopFuture<LoadClient> {
        var configuration = webSocket
        configuration.localAddress = sources.address(for: index)
        let url: WebSocketURL
        do { url = try self.url(topic: topic) } catch { return loop.makeFailedFuture(error) }
        guard let version = mode.protocolVersion else {
            return connectRaw(url: url, topic: topic, configuration: configuration, on: loop, onStamp: onStamp, onOther: onOther)
        }
        var options = RealtimeOptions()
        options.webSocket = configuration
        options.heartbeatInterval = heartbeat
        options.frameFilter = { message in
            guard let stamp = PayloadScanner.stamp(in: message.data) else { return false }
            // Durable chat: a delivery without `meta.id` is not the stored message; it counts as missing.
            if requireStoredID, !PayloadScanner.hasStoredID(message.data, binary: message.kind == .binary) {
                onOther()
            } else {
                onStamp(stamp)
            }
            return true
        }
        let fullTopic = "realtime:" + topic
        return RealtimeConnection.connect(
            to: url, version: version, apiKey: token ?? self.token, options: options, inbound: .callback({ _ in onOther() }), on: loop
        ).flatMap { connection in
            guard joining else { return loop.makeSucceededFuture(LoadClient(transport: .rally(connection, topic: fullTopic))) }
            return connection.join(fullTopic, options: join).flatMapThrowing { reply in
                guard reply.isOK else {
                    connection.socket.abort()
                    throw LoadTestError("join refused: \(reply.reason ?? reply.status)")
                }
                return LoadClient(transport: .rally(connection, topic: fullTopic))
            }
        }
    }

    private func connectRaw(
        url: WebSocketURL, topic: String, configuration: WebSocketClientConfiguration, on loop: EventLoop,
        onStamp: @escaping @Sendable (Stamp) -> Void, onOther: @escaping @Sendable () -> Void
    ) -> EventLoopFuture<LoadClient> {
        let inbound = WebSocketInbound.callback { message in
            if let stamp = PayloadScanner.stamp(in: message.data) { onStamp(stamp) } else { onOther() }
        }
        return WebSocketClient.connect(to: url, configuration: configuration, inbound: inbound, on: loop).map { socket in
            if let text = subscribeMessage?.replacingOccurrences(of: "{topic}", with: topic) {
                var buffer = socket.channel.allocator.buffer(capacity: text.utf8.count)
                buffer.writeString(text)
                socket.send(WebSocketClientMessage(kind: .text, data: buffer))
            }
            return LoadClient(transport: .raw(socket))
        }
    }
}
