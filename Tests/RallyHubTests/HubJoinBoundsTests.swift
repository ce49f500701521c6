import CMallocStats
import Foundation
import NIOCore
import RallyHubTestSupport
import RallyProtocol
import XCTest
@testable import RallyHub

/// Topic names, join messages and presence keys are bounded; a refused join keeps only its reply while it waits.
final class HubJoinBoundsTests: XCTestCase {
    func testTopicLongerThanTheCapIsRefused() async throws {
        let harness = try await HubHarness()
        let client = try await harness.connect()
        let fits = String(repeating: "t", count: 255)
        XCTAssertEqual(client.join("realtime:" + fits, ref: "1")?["status"], .string("ok"))
        let refused = client.join("realtime:" + fits + "é", ref: "2")
        XCTAssertEqual(refused?["response"]?["reason"],
                       .string("TopicNameTooLong: Topic name is longer than 255 bytes"))
        try await harness.shutdown()
    }

    func testJoinMessageLargerThanTheCapIsRefused() async throws {
        var limits = HubHarness.fastLimits()
        limits.maxJoinBytes = 2048
        let harness = try await HubHarness(limits: limits)
        let client = try await harness.connect()
        let refused = client.join("realtime:room", ref: "1",
                                  extra: ["pad": .string(String(repeating: "x", count: 2048))])
        XCTAssertEqual(refused?["response"]?["reason"],
                       .string("JoinPayloadTooLarge: Join message is larger than 2048 bytes"))
        XCTAssertEqual(client.join("realtime:room", ref: "2")?["status"], .string("ok"))
        try await harness.shutdown()
    }

    func testPresenceKeyLongerThanTheCapIsRefused() async throws {
        let harness = try await HubHarness()
        let client = try await harness.connect()
        let config = { (key: String) -> JSON in .object(["presence": .object(["key": .string(key)])]) }
        XCTAssertEqual(client.join("realtime:a", config: config(String(repeating: "k", count: 256)), ref: "1")?["status"],
                       .string("ok"))
        let refused = client.join("realtime:b", config: config(String(repeating: "k", count: 257)), ref: "2")
        XCTAssertEqual(refused?["response"]?["reason"],
                       .string("PresenceKeyTooLong: Presence key is longer than 256 bytes"))
        try await harness.shutdown()
    }

    /// 40 refused 1 MiB joins wait a minute for their error replies: what they hold must not be their messages (40 MiB
    /// if they did).
    func testDelayedJoinErrorsDoNotHoldTheirMessages() async throws {
        ResidentMemory.mapLargeAllocationsSeparately()
        var limits = HubHarness.fastLimits()
        limits.joinErrorDelay = .seconds(60)
        limits.maxJoinBytes = 4 * 1024 * 1024
        limits.maxMessageBytes = 4 * 1024 * 1024
        limits.maxChannelsPerSocket = 0
        limits.joinsPerSecond = 1000
        let harness = try await HubHarness(limits: limits)
        let client = try await harness.connect()
        let pad = JSON.string(String(repeating: "x", count: 1024 * 1024))
        let before = ResidentMemory.bytes()
        for index in 0..<40 {
            client.send(topic: "realtime:room", event: "phx_join", payload: .object(["pad": pad]),
                        ref: "\(index)", joinRef: "\(index)")
        }
        client.send(topic: "phoenix", event: "heartbeat", payload: .emptyObject, ref: "hb")
        XCTAssertNotNil(client.waitForReply(ref: "hb", timeout: 60))  // every join before it has been refused
        // The frames are freed a moment after their joins are answered (on the threads that decoded them): wait for
        // that, with a deadline well inside the minute the refusals are held.
        let deadline = Date().addingTimeInterval(10)
        var grown = ResidentMemory.bytes() - before
        while grown >= 16 * 1024 * 1024, Date() < deadline {
            try await Task.sleep(for: .milliseconds(20))
            grown = ResidentMemory.bytes() - before
        }
        XCTAssertLessThan(grown, 16 * 1024 * 1024, "40 pending refusals hold \(grown) bytes")
        try await harness.shutdown()
    }
}

/// The bytes the process holds in malloc'd blocks (glibc's `mallinfo2`): what is still allocated, whatever the
/// allocator keeps cached or the kernel keeps mapped, so freed frames and arena fragmentation do not count.
enum ResidentMemory {
    /// Every allocation of 128 KiB or more gets its own mapping (glibc otherwise raises the threshold as it goes).
    static func mapLargeAllocationsSeparately() {
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "mallopt") else { return }
        let mmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD
        _ = unsafeBitCast(symbol, to: Mallopt.self)(mmapThreshold, 128 * 1024)
    }

    static func bytes() -> Int { Int(rally_malloc_bytes_in_use()) }
}
