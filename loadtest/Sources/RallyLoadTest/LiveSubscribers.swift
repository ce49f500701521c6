import ArgumentParser
import Foundation
import NIOCore
import RallyClient

/// Options of the scenarios that read and write Rally's Postgres (capacity, activity, chat --durable).
struct LiveOptions: ParsableArguments {
    @Option(help: "Postgres URL of the database the Rally node serves (its RALLY_DATABASE_URL; users and events in one database). Default: $RALLY_DATABASE_URL.")
    var databaseURL: String?

    @Option(help: "The node's RALLY_JWT_SECRET: the tool mints one HS256 token per simulated user (sub = the user's id). Default: $RALLY_JWT_SECRET.")
    var jwtSecret: String?

    @Flag(help: "Leave the users, groups, friendships and events the run created in the database.")
    var keepRows = false

    @Option(help: "Seconds allowed for the node to work through the changes the setup committed (see ChangeFeedBarrier) before the writer starts.")
    var catchUpTimeout: Double = 120

    func resolved() throws -> (url: String, minter: TokenMinter) {
        let environment = ProcessInfo.processInfo.environment
        guard let url = databaseURL ?? environment["RALLY_DATABASE_URL"] else {
            throw ValidationError("a live scenario needs --database-url (or RALLY_DATABASE_URL)")
        }
        guard let secret = jwtSecret ?? environment["RALLY_JWT_SECRET"], !secret.isEmpty else {
            throw ValidationError("a live scenario needs --jwt-secret (or RALLY_JWT_SECRET), the node's HS256 secret")
        }
        return (url, TokenMinter(secret: secret))
    }
}

/// What one subscriber saw: a key taken from a frame (a count, an item's index) and when.
struct Receipt: Sendable {
    var subscriber: Int32
    var key: Int64
    var at: UInt64
}

/// The receipts of the connections of one event loop; touched only on that loop (hence `@unchecked Sendable`).
final class ReceiptLog: @unchecked Sendable {
    let eventLoop: EventLoop
    private(set) var receipts: [Receipt] = []
    /// The last key each subscriber received.
    private var latest: [Int: Int64] = [:]

    init(eventLoop: EventLoop) {
        self.eventLoop = eventLoop
    }

    @inline(__always)
    func record(subscriber: Int, key: Int64) {
        receipts.append(Receipt(subscriber: Int32(subscriber), key: key, at: MonotonicClock.now()))
        latest[subscriber] = key
    }

    func subscribers(withLatest key: Int64) -> Int {
        eventLoop.preconditionInEventLoop()
        return latest.values.filter { $0 == key }.count
    }
}

/// N Rally connections, each with its own token and topic, each frame offered to `extract`: a non-nil key is
/// logged with the receive time (the analysis happens after the run, so a delivery that beats the writer's
/// commit acknowledgement is still matched).
final class LiveSubscribers: Sendable {
    let logs: [ReceiptLog]
    private let clients: [LoadClient?]

    private init(logs: [ReceiptLog], clients: [LoadClient?]) {
        self.logs = logs
        self.clients = clients
    }

    static func connect(
        target: ClientTarget, topics: [String], tokens: [String], group: EventLoopGroup, concurrency: Int, deadline: UInt64,
        extract: @escaping @Sendable (ByteBuffer) -> Int64?
    ) async -> (LiveSubscribers, ConnectionStats) {
        let logs = group.makeIterator().map { ReceiptLog(eventLoop: $0) }
        let (opened, stats) = await ConnectionPool.connectAll(count: topics.count, concurrency: concurrency, deadline: deadline) {
            index in
            let log = logs[index % logs.count]
            return target.connectLive(index: index, topic: topics[index], token: tokens[index], on: log.eventLoop) { frame in
                guard let key = extract(frame) else { return false }
                log.record(subscriber: index, key: key)
                return true
            }
        }
        return (LiveSubscribers(logs: logs, clients: opened), stats)
    }

    /// Indexes of the subscribers whose connection opened.
    var connected: [Int] { clients.indices.filter { clients[$0] != nil } }

    var disconnected: Int { clients.compactMap { $0 }.filter { !$0.socket.isActive }.count }

    /// How many subscribers last received `key` (a capacity run is drained when all show the final count).
    func count(withLatest key: Int64) async -> Int {
        var total = 0
        for log in logs { total += (try? await log.eventLoop.submit { log.subscribers(withLatest: key) }.get()) ?? 0 }
        return total
    }

    /// Receipts so far, over all subscribers.
    func receiptCount() async -> Int {
        var total = 0
        for log in logs { total += (try? await log.eventLoop.submit { log.receipts.count }.get()) ?? 0 }
        return total
    }

    /// Every receipt so far, in receive order per loop.
    func receipts() async -> [Receipt] {
        var all: [Receipt] = []
        for log in logs {
            all += (try? await log.eventLoop.submit { log.receipts }.get()) ?? []
        }
        return all
    }

    func closeAll(concurrency: Int) async {
        await ConnectionPool.closeAll(clients.compactMap { $0 }, concurrency: concurrency)
    }
}

extension ClientTarget {
    /// A Rally connection with its own token, joined to `realtime:<topic>`; frames `onFrame` accepts are consumed
    /// (the rest, replies included, go through the client as usual).
    func connectLive(
        index: Int, topic: String, token: String, join: JoinOptions = .init(), on loop: EventLoop,
        onFrame: @escaping @Sendable (ByteBuffer) -> Bool
    ) -> EventLoopFuture<LoadClient> {
        guard let version = mode.protocolVersion else {
            return loop.makeFailedFuture(LoadTestError("live scenarios need --mode rally-v1 or rally-v2"))
        }
        var configuration = webSocket
        configuration.localAddress = sources.address(for: index)
        let url: WebSocketURL
        do { url = try self.url(topic: topic) } catch { return loop.makeFailedFuture(error) }
        var options = RealtimeOptions()
        options.webSocket = configuration
        options.heartbeatInterval = heartbeat
        options.frameFilter = { message in onFrame(message.data) }
        let fullTopic = "realtime:" + topic
        return RealtimeConnection.connect(
            to: url, version: version, apiKey: token, options: options, inbound: .callback({ _ in }), on: loop
        ).flatMap { connection in
            connection.join(fullTopic, options: join).flatMapThrowing { reply in
                guard reply.isOK else {
                    connection.socket.abort()
                    throw LoadTestError("join refused: \(reply.reason ?? reply.status)")
                }
                return LoadClient(transport: .rally(connection, topic: fullTopic))
            }
        }
    }
}
