import NIOCore
import NIOPosix
import RallyTestSupport
import XCTest

@testable import RallyRedis

/// Against the real redis-server of `scripts/services.sh` (loopback).
final class RedisSubscriberTests: XCTestCase {
    private var group: MultiThreadedEventLoopGroup!
    private var publisher: RedisConnection!
    private var subscribers: [RedisSubscriber] = []

    override func setUpWithError() throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        publisher = try RedisConnection(configuration: try TestRedis.configuration(), eventLoop: group.next())
        publisher.start()
        try publisher.whenConnected().wait(timeout: .seconds(10), "publisher")
    }

    override func tearDown() {
        for subscriber in subscribers { try? subscriber.shutdown().wait(timeout: .seconds(5)) }
        try? publisher?.shutdown().wait(timeout: .seconds(5))
        try? group.syncShutdownGracefully()
    }

    private func makeSubscriber(options: RedisSubscriberOptions = RedisSubscriberOptions(),
                                configuration: RedisConfiguration? = nil,
                                events: Recorder<RedisSubscriberEvent>) throws -> RedisSubscriber {
        let configuration = try configuration ?? TestRedis.configuration(clientName: "rally-test-sub")
        let subscriber = try RedisSubscriber(configuration: configuration, options: options,
                                             eventLoop: group.next()) { events.append($0) }
        subscribers.append(subscriber)
        subscriber.start()
        return subscriber
    }

    private func channel(_ name: String) -> String { "rally:test:\(name):\(UInt64.random(in: 0...UInt64.max))" }

    private func publish(_ channel: String, _ payload: ByteBuffer, sharded: Bool = false) throws -> Int? {
        try publisher.send([ByteBuffer(string: sharded ? "SPUBLISH" : "PUBLISH"), ByteBuffer(string: channel), payload])
            .wait(timeout: .seconds(5)).int
    }

    private func messages(_ events: [RedisSubscriberEvent]) -> [RedisSubscriberEvent] {
        events.filter { if case .message = $0 { return true } else { return false } }
    }

    func testSubscribeIsConfirmedThenPublishedMessagesArriveInOrder() throws {
        let events = Recorder<RedisSubscriberEvent>()
        let subscriber = try makeSubscriber(events: events)
        try subscriber.whenConnected().wait(timeout: .seconds(10))
        let (a, b) = (channel("a"), channel("b"))
        try subscriber.subscribe([a, b]).wait(timeout: .seconds(10), "subscribe")
        XCTAssertEqual(try publish(a, ByteBuffer(string: "one")), 1)
        XCTAssertEqual(try publish(b, ByteBuffer(string: "two")), 1)
        XCTAssertEqual(try publish(a, ByteBuffer(string: "three")), 1)
        let received = try events.wait("three messages") { self.messages($0).count == 3 }
        XCTAssertEqual(messages(received), [
            .message(channel: a, payload: ByteBuffer(string: "one")),
            .message(channel: b, payload: ByteBuffer(string: "two")),
            .message(channel: a, payload: ByteBuffer(string: "three")),
        ])
        XCTAssertEqual(try subscriber.desiredChannels().wait(timeout: .seconds(5)), [a, b])
    }

    func testManyChannelsAreSubscribedInBatches() throws {
        let events = Recorder<RedisSubscriberEvent>()
        let subscriber = try makeSubscriber(options: RedisSubscriberOptions(batchLimit: 100), events: events)
        try subscriber.whenConnected().wait(timeout: .seconds(10))
        let names = (0..<1_234).map { channel("many\($0)") }
        try subscriber.subscribe(names).wait(timeout: .seconds(10), "subscribe 1234")
        let count = try publisher.send(["PUBSUB", "NUMSUB", names[1_233]]).wait(timeout: .seconds(5)).array?.last
        XCTAssertEqual(count, .integer(1))
        // Subscribing again what is confirmed completes at once, with nothing sent.
        try subscriber.subscribe(Array(names.prefix(10))).wait(timeout: .seconds(5))
    }

    func testUnsubscribeStopsDelivery() throws {
        let events = Recorder<RedisSubscriberEvent>()
        let subscriber = try makeSubscriber(events: events)
        try subscriber.whenConnected().wait(timeout: .seconds(10))
        let (a, b) = (channel("a"), channel("b"))
        try subscriber.subscribe([a, b]).wait(timeout: .seconds(10))
        try subscriber.unsubscribe([a]).wait(timeout: .seconds(10), "unsubscribe")
        XCTAssertEqual(try publish(a, ByteBuffer(string: "lost")), 0)
        XCTAssertEqual(try publish(b, ByteBuffer(string: "kept")), 1)
        let received = try events.wait("the message on b") { self.messages($0).count == 1 }
        XCTAssertEqual(messages(received), [.message(channel: b, payload: ByteBuffer(string: "kept"))])
        XCTAssertEqual(try subscriber.desiredChannels().wait(timeout: .seconds(5)), [b])
    }

    func testBinaryPayloadRoundTrip() throws {
        let events = Recorder<RedisSubscriberEvent>()
        let subscriber = try makeSubscriber(events: events)
        try subscriber.whenConnected().wait(timeout: .seconds(10))
        let name = channel("bin")
        try subscriber.subscribe([name]).wait(timeout: .seconds(10))
        let payload = ByteBuffer(bytes: [0, 0xff, 0x2a, 13, 10, 0] + (0...255).map(UInt8.init))
        XCTAssertEqual(try publish(name, payload), 1)
        let received = try events.wait("the binary message") { self.messages($0).count == 1 }
        XCTAssertEqual(messages(received), [.message(channel: name, payload: payload)])
    }

    func testShardedModeUsesSSubscribeAndSMessage() throws {
        let events = Recorder<RedisSubscriberEvent>()
        let subscriber = try makeSubscriber(options: RedisSubscriberOptions(sharded: true), events: events)
        try subscriber.whenConnected().wait(timeout: .seconds(10))
        let names = (0..<20).map { channel("shard\($0)") }
        try subscriber.subscribe(names).wait(timeout: .seconds(10))
        XCTAssertEqual(try publish(names[7], ByteBuffer(string: "classic")), 0)
        XCTAssertEqual(try publish(names[7], ByteBuffer(string: "sharded"), sharded: true), 1)
        let received = try events.wait("the smessage") { self.messages($0).count == 1 }
        XCTAssertEqual(messages(received), [.message(channel: names[7], payload: ByteBuffer(string: "sharded"))])
        try subscriber.unsubscribe([names[7]]).wait(timeout: .seconds(10))
        XCTAssertEqual(try publish(names[7], ByteBuffer(string: "gone"), sharded: true), 0)
    }

    func testKilledSubscriberReconnectsAndResubscribesTheDesiredSet() throws {
        let events = Recorder<RedisSubscriberEvent>()
        let states = Recorder<RedisConnectionState>()
        let subscriber = try RedisSubscriber(configuration: try TestRedis.configuration(clientName: "rally-test-sub"),
                                             eventLoop: group.next(), onStateChange: { states.append($0) }) {
            events.append($0)
        }
        subscribers.append(subscriber)
        subscriber.start()
        try subscriber.whenConnected().wait(timeout: .seconds(10))
        let (a, b) = (channel("a"), channel("b"))
        try subscriber.subscribe([a, b]).wait(timeout: .seconds(10))
        try subscriber.unsubscribe([a]).wait(timeout: .seconds(10))
        let c = channel("c")
        try subscriber.subscribe([c]).wait(timeout: .seconds(10))
        try events.wait("the first resubscribed") { $0.contains(.resubscribed) }
        events.removeAll()

        let killed = try publisher.send(["CLIENT", "KILL", "TYPE", "pubsub"]).wait(timeout: .seconds(5)).int ?? 0
        XCTAssertGreaterThanOrEqual(killed, 1)
        try events.wait("connection lost, then resubscribed") { $0 == [.connectionLost, .resubscribed] }
        try states.wait("states") { $0 == [.connected, .disconnected, .connected] }
        XCTAssertEqual(try publish(a, ByteBuffer(string: "not wanted")), 0)
        XCTAssertEqual(try publish(b, ByteBuffer(string: "after b")), 1)
        XCTAssertEqual(try publish(c, ByteBuffer(string: "after c")), 1)
        let received = try events.wait("messages after the reconnect") { self.messages($0).count == 2 }
        XCTAssertEqual(messages(received), [.message(channel: b, payload: ByteBuffer(string: "after b")),
                                            .message(channel: c, payload: ByteBuffer(string: "after c"))])
    }

    func testAnUnansweredPingClosesAndReconnects() throws {
        let events = Recorder<RedisSubscriberEvent>()
        let options = RedisSubscriberOptions(pingInterval: .milliseconds(100), pingTimeout: .milliseconds(500))
        let subscriber = try makeSubscriber(options: options, events: events)
        try subscriber.whenConnected().wait(timeout: .seconds(10))
        let name = channel("ping")
        try subscriber.subscribe([name]).wait(timeout: .seconds(10))
        try events.wait("resubscribed") { $0.contains(.resubscribed) }
        events.removeAll()
        // A paused server answers nobody: the PING times out, the subscriber reconnects once the pause ends.
        XCTAssertEqual(try publisher.send(["CLIENT", "PAUSE", "1500", "ALL"]).wait(timeout: .seconds(5)),
                       .simpleString("OK"))
        try events.wait(timeout: 15, "lost then resubscribed") {
            $0.first == .connectionLost && $0.last == .resubscribed
        }
        XCTAssertEqual(try publish(name, ByteBuffer(string: "alive")), 1)
        try events.wait("the message") { self.messages($0).count == 1 }
    }

    func testSetupCommandsRunBeforeSubscribing() throws {
        let name = "rally-test-noevict-\(UInt32.random(in: 0...UInt32.max))"
        var configuration = try TestRedis.configuration(clientName: name)
        configuration.setupCommands = [["CLIENT", "NO-EVICT", "on"]]
        let events = Recorder<RedisSubscriberEvent>()
        let subscriber = try makeSubscriber(configuration: configuration, events: events)
        try subscriber.whenConnected().wait(timeout: .seconds(10))
        try subscriber.subscribe([channel("e")]).wait(timeout: .seconds(10))
        let list = try publisher.send(["CLIENT", "LIST"]).wait(timeout: .seconds(5)).string ?? ""
        let line = try XCTUnwrap(list.split(separator: "\n").first { $0.contains("name=\(name) ") })
        let flags = try XCTUnwrap(line.split(separator: " ").first { $0.hasPrefix("flags=") })
        XCTAssertTrue(flags.contains("e") && flags.contains("P"), String(line))
    }

    func testARefusedSubscribeFailsAndLeavesTheDesiredSet() throws {
        let user = "rally_test_sub_\(UInt32.random(in: 0...UInt32.max))"
        XCTAssertEqual(try publisher.send(["ACL", "SETUSER", user, "on", ">pw", "resetchannels", "&allowed:*", "+@all"])
            .wait(timeout: .seconds(5)), .simpleString("OK"))
        defer { _ = try? publisher.send(["ACL", "DELUSER", user]).wait(timeout: .seconds(5)) }
        var configuration = try TestRedis.configuration()
        configuration.url.username = user
        configuration.url.password = "pw"
        let events = Recorder<RedisSubscriberEvent>()
        let subscriber = try makeSubscriber(configuration: configuration, events: events)
        try subscriber.whenConnected().wait(timeout: .seconds(10))
        let allowed = "allowed:\(UInt32.random(in: 0...UInt32.max))"
        XCTAssertThrowsError(try subscriber.subscribe(["forbidden:x"]).wait(timeout: .seconds(10))) { error in
            guard case RedisError.errorReply(let message)? = error as? RedisError else { return XCTFail("\(error)") }
            XCTAssertTrue(message.hasPrefix("NOPERM"), message)
        }
        try subscriber.subscribe([allowed]).wait(timeout: .seconds(10))
        XCTAssertEqual(try subscriber.desiredChannels().wait(timeout: .seconds(5)), [allowed])
    }

    func testWhileDisconnectedSubscribeFailsFastButKeepsTheChannelDesired() throws {
        var configuration = try TestRedis.configuration()
        configuration.url.port = try RedisConnectionTests.closedPort()
        let subscriber = try makeSubscriber(configuration: configuration, events: Recorder())
        XCTAssertThrowsError(try subscriber.subscribe(["x"]).wait(timeout: .seconds(5))) {
            XCTAssertEqual($0 as? RedisError, .notConnected)
        }
        XCTAssertEqual(try subscriber.desiredChannels().wait(timeout: .seconds(5)), ["x"])
        try subscriber.unsubscribe(["x"]).wait(timeout: .seconds(5))
        XCTAssertEqual(try subscriber.desiredChannels().wait(timeout: .seconds(5)), [])
    }
}
