import Foundation
import NIOCore
import NIOPosix
import RallyTestSupport
import XCTest

@testable import RallyRedis

/// Against the real redis-server of `scripts/services.sh` (loopback).
final class RedisConnectionTests: XCTestCase {
    private var group: MultiThreadedEventLoopGroup!
    private var started: [RedisConnection] = []

    override func setUp() {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    override func tearDown() {
        for connection in started { try? connection.shutdown().wait(timeout: .seconds(5)) }
        try? group.syncShutdownGracefully()
    }

    private func connect(_ configuration: RedisConfiguration,
                         states: Recorder<RedisConnectionState>? = nil) throws -> RedisConnection {
        let connection = try RedisConnection(configuration: configuration, eventLoop: group.next()) { state in
            states?.append(state)
        }
        started.append(connection)
        connection.start()
        try connection.whenConnected().wait(timeout: .seconds(10), "connect")
        return connection
    }

    private func key(_ name: String) -> String { "rally:test:\(name):\(UInt64.random(in: 0...UInt64.max))" }

    func testPipelinedCommandsAnswerInOrderWithErrorRepliesAsValues() throws {
        let connection = try connect(try TestRedis.configuration())
        let k = key("order")
        let futures = [
            connection.send(["SET", k, "v1"]),
            connection.send(["GET", k]),
            connection.send(["INCR", k]),
            connection.send(["APPEND", k, "2"]),
            connection.send(["GET", k]),
            connection.send(["PUBLISH", key("nobody"), "x"]),
            connection.send(["GET", key("missing")]),
            connection.send(["DEL", k]),
        ]
        let replies = try futures.map { try $0.wait(timeout: .seconds(10)) }
        XCTAssertEqual(replies[0], .simpleString("OK"))
        XCTAssertEqual(replies[1].string, "v1")
        XCTAssertEqual(replies[2].errorMessage, "ERR value is not an integer or out of range")
        XCTAssertEqual(replies[3], .integer(3))
        XCTAssertEqual(replies[4].string, "v12")
        XCTAssertEqual(replies[5], .integer(0))
        XCTAssertEqual(replies[6], .bulkString(nil))
        XCTAssertEqual(replies[7], .integer(1))
    }

    func testTenThousandPipelinedCommands() throws {
        let connection = try connect(try TestRedis.configuration())
        let k = key("counter")
        let futures = (0..<10_000).map { _ in connection.send(["INCR", k]) }
        let replies = try EventLoopFuture.whenAllSucceed(futures, on: connection.eventLoop)
            .wait(timeout: .seconds(30), "10k INCR")
        XCTAssertEqual(replies, (1...10_000).map { RESPValue.integer($0) })
        XCTAssertEqual(try connection.send(["DEL", k]).wait(timeout: .seconds(5)), .integer(1))
        XCTAssertEqual(try connection.inFlightCount().wait(timeout: .seconds(5)), 0)
    }

    func testPastTheInFlightBoundCommandsFailFast() throws {
        var configuration = try TestRedis.configuration()
        configuration.maxInFlightCommands = 10
        let connection = try connect(configuration)
        // All in one event-loop tick, so no reply can arrive in between.
        let futures = try connection.eventLoop.submit { (0..<12).map { _ in connection.send(["PING"]) } }
            .wait(timeout: .seconds(5))
        for future in futures.prefix(10) {
            XCTAssertEqual(try future.wait(timeout: .seconds(5)), .simpleString("PONG"))
        }
        for future in futures.suffix(2) {
            XCTAssertThrowsError(try future.wait(timeout: .seconds(5))) {
                XCTAssertEqual($0 as? RedisError, .tooManyInFlightCommands(limit: 10))
            }
        }
        XCTAssertEqual(try connection.send(["PING"]).wait(timeout: .seconds(5)), .simpleString("PONG"))
    }

    func testAReplyOverThePendingBytesCapClosesTheConnectionWhichComesBack() throws {
        let k = key("big")
        let writer = try connect(try TestRedis.configuration())
        let big = ByteBuffer(repeating: UInt8(ascii: "x"), count: 200_000)
        let set = writer.send([ByteBuffer(string: "SET"), ByteBuffer(string: k), big])
        XCTAssertEqual(try set.wait(timeout: .seconds(5)), .simpleString("OK"))
        defer { _ = try? writer.send(["DEL", k]).wait(timeout: .seconds(5)) }

        var configuration = try TestRedis.configuration()
        configuration.maxPendingBytes = 4096
        let states = Recorder<RedisConnectionState>()
        let reader = try connect(configuration, states: states)
        // Reads arrive in chunks of at most 64 KiB, so the 200 kB reply is incomplete past 4 KiB at some point.
        XCTAssertThrowsError(try reader.send(["GET", k]).wait(timeout: .seconds(10))) {
            XCTAssertEqual($0 as? RedisError, .connectionLost)
        }
        try states.wait("closed, then connected again") { $0 == [.connected, .disconnected, .connected] }
        XCTAssertEqual(try reader.send(["STRLEN", k]).wait(timeout: .seconds(5)), .integer(200_000))
    }

    func testBinaryValuesRoundTrip() throws {
        let connection = try connect(try TestRedis.configuration())
        let k = key("binary")
        let payload = ByteBuffer(bytes: (0...255).map(UInt8.init) + [0, 0xff, 13, 10])
        let set = connection.send([ByteBuffer(string: "SET"), ByteBuffer(string: k), payload])
        XCTAssertEqual(try set.wait(timeout: .seconds(5)), .simpleString("OK"))
        XCTAssertEqual(try connection.send(["GET", k]).wait(timeout: .seconds(5)), .bulkString(payload))
        _ = try connection.send(["DEL", k]).wait(timeout: .seconds(5))
    }

    func testAuthWithAnACLUserSelectAndClientName() throws {
        let admin = try connect(try TestRedis.configuration())
        let user = "rally_test_\(UInt32.random(in: 0...UInt32.max))"
        let password = "p@ss:w/rd \(UInt32.random(in: 0...UInt32.max))"
        let created = admin.send(["ACL", "SETUSER", user, "on", ">\(password)", "~*", "&*", "+@all"])
        XCTAssertEqual(try created.wait(timeout: .seconds(5)), .simpleString("OK"))
        defer { _ = try? admin.send(["ACL", "DELUSER", user]).wait(timeout: .seconds(5)) }

        var url = try TestRedis.url()
        url.username = user
        url.password = password
        url.database = 3
        var configuration = try TestRedis.configuration(clientName: "rally-test-acl")
        configuration.url = try RedisURL(Self.urlText(url))
        let connection = try connect(configuration)
        XCTAssertEqual(try connection.send(["ACL", "WHOAMI"]).wait(timeout: .seconds(5)).string, user)
        XCTAssertEqual(try connection.send(["CLIENT", "GETNAME"]).wait(timeout: .seconds(5)).string, "rally-test-acl")
        let info = try connection.send(["CLIENT", "INFO"]).wait(timeout: .seconds(5)).string ?? ""
        XCTAssertTrue(info.contains(" db=3 "), info)
    }

    /// The URL text with user and password percent-encoded, as an operator would write it.
    private static func urlText(_ url: RedisURL) -> String {
        func encode(_ text: String) -> String {
            text.utf8.map { byte in
                let c = Character(UnicodeScalar(byte))
                return c.isLetter || c.isNumber || c == "_" ? String(c) : String(format: "%%%02X", byte)
            }.joined()
        }
        let userInfo = "\(encode(url.username ?? "")):\(encode(url.password ?? ""))"
        return "redis://\(userInfo)@\(url.host):\(url.port)/\(url.database)"
    }

    func testAWrongPasswordFailsTheHandshake() throws {
        var configuration = try TestRedis.configuration()
        configuration.url.username = "nobody_\(UInt32.random(in: 0...UInt32.max))"
        configuration.url.password = "wrong"
        let connector = try RedisConnector(configuration: configuration)
        XCTAssertThrowsError(try connector.connect(on: group.next()).wait(timeout: .seconds(10))) { error in
            guard case RedisError.handshakeFailed(let message)? = error as? RedisError else {
                return XCTFail("\(error)")
            }
            XCTAssertTrue(message.contains("WRONGPASS"), message)
            XCTAssertFalse(message.contains("wrong"), "the password must not appear: \(message)")
        }
    }

    func testWhileDisconnectedSendFailsFast() throws {
        var configuration = try TestRedis.configuration()
        configuration.url.port = try Self.closedPort()
        let connection = try RedisConnection(configuration: configuration, eventLoop: group.next())
        started.append(connection)
        connection.start()
        XCTAssertThrowsError(try connection.send(["PING"]).wait(timeout: .seconds(5))) {
            XCTAssertEqual($0 as? RedisError, .notConnected)
        }
    }

    func testKillingTheConnectionFailsPendingThenItReconnects() throws {
        let states = Recorder<RedisConnectionState>()
        let connection = try connect(try TestRedis.configuration(), states: states)
        let killer = try connect(try TestRedis.configuration())
        let id = try XCTUnwrap(connection.send(["CLIENT", "ID"]).wait(timeout: .seconds(5)).int)
        let blocked = connection.send(["BLPOP", key("never"), "30"])
        // BLPOP is in flight once the server lists the client as blocked on it.
        try waitUntil("BLPOP blocks") {
            let list = try killer.send(["CLIENT", "LIST", "ID", String(id)]).wait(timeout: .seconds(5)).string ?? ""
            return list.contains("cmd=blpop")
        }
        XCTAssertEqual(try killer.send(["CLIENT", "KILL", "ID", String(id)]).wait(timeout: .seconds(5)), .integer(1))
        XCTAssertThrowsError(try blocked.wait(timeout: .seconds(10))) {
            XCTAssertEqual($0 as? RedisError, .connectionLost)
        }
        try states.wait("disconnected, then connected again") { $0 == [.connected, .disconnected, .connected] }
        XCTAssertEqual(try connection.send(["PING"]).wait(timeout: .seconds(5)), .simpleString("PONG"))
    }

    func testShutdownFailsPendingAndStopsReconnecting() throws {
        let states = Recorder<RedisConnectionState>()
        let connection = try connect(try TestRedis.configuration(), states: states)
        let blocked = connection.send(["BLPOP", key("never"), "30"])
        try connection.shutdown().wait(timeout: .seconds(5))
        XCTAssertThrowsError(try blocked.wait(timeout: .seconds(5))) {
            XCTAssertEqual($0 as? RedisError, .connectionLost)
        }
        try states.wait("disconnected") { $0.last == .disconnected }
        XCTAssertThrowsError(try connection.send(["PING"]).wait(timeout: .seconds(5))) {
            XCTAssertEqual($0 as? RedisError, .notConnected)
        }
        XCTAssertThrowsError(try connection.whenConnected().wait(timeout: .seconds(5))) {
            XCTAssertEqual($0 as? RedisError, .shutDown)
        }
    }

    /// A loopback port nothing listens on (bound, then released).
    static func closedPort() throws -> Int {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let channel = try ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).wait()
        let port = try XCTUnwrap(channel.localAddress?.port)
        try channel.close().wait()
        return port
    }
}

/// Polls `condition` (a question to the server) until it holds, for at most `timeout` seconds.
func waitUntil(_ what: String, timeout: Double = 10, _ condition: () throws -> Bool) throws {
    let deadline = NIODeadline.now() + .milliseconds(Int64(timeout * 1000))
    while try !condition() {
        guard NIODeadline.now() < deadline else { throw TimedOut(description: "timed out waiting for \(what)") }
        usleep(5_000)
    }
}

/// Reconnect pacing against a local TCP server that accepts and closes at once (no Redis needed).
final class RedisReconnectBackoffTests: XCTestCase {
    /// Records when each connection arrives, then closes it.
    private final class AcceptAndClose: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let accepted: Recorder<NIODeadline>
        init(accepted: Recorder<NIODeadline>) { self.accepted = accepted }
        func channelActive(context: ChannelHandlerContext) {
            accepted.append(.now())
            context.close(promise: nil)
        }
    }

    func testFailedSetupsBackOffExponentiallyInsteadOfSpinning() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let accepted = Recorder<NIODeadline>()
        let server = try ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AcceptAndClose(accepted: accepted))
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        defer { try? server.close().wait() }
        // A client name makes every setup fail (the server hangs up before CLIENT SETNAME is answered).
        var configuration = RedisConfiguration(url: RedisURL(host: "127.0.0.1", port: server.localAddress!.port!),
                                               clientName: "rally-test")
        configuration.reconnectBackoff = RedisBackoff(initial: .milliseconds(20), maximum: .milliseconds(160))
        let connection = try RedisConnection(configuration: configuration, eventLoop: group.next())
        connection.start()
        defer { try? connection.shutdown().wait(timeout: .seconds(5)) }

        let times = try accepted.wait("6 attempts") { $0.count >= 6 }
        // Attempt n+1 waits at least half of min(20 ms × 2^n, 160 ms) after attempt n failed.
        for index in 1..<6 {
            let gap = times[index].uptimeNanoseconds - times[index - 1].uptimeNanoseconds
            let ceiling = min(20_000_000 << (index - 1), 160_000_000)
            XCTAssertGreaterThanOrEqual(gap, UInt64(ceiling / 2), "gap before attempt \(index + 1)")
        }
        XCTAssertThrowsError(try connection.send(["PING"]).wait(timeout: .seconds(5))) {
            XCTAssertEqual($0 as? RedisError, .notConnected)
        }
    }
}
