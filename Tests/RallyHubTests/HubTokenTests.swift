import Foundation
import NIOCore
import RallyAuth
import RallyHubTestSupport
import RallyProtocol
import XCTest
@testable import RallyHub

/// Tokens during the session: per-join tokens, refresh, expiry.
final class HubTokenTests: XCTestCase {
    func testExpiredJoinTokenIsRefusedWithSupabaseReason() async throws {
        let harness = try await HubHarness()
        let client = try await harness.connect()
        let expired = try await harness.token(expiresIn: -30)
        let reply = client.join("realtime:a", extra: ["access_token": .string(expired)])
        let reason = reply?["response"]?["reason"]?.stringValue ?? ""
        XCTAssertTrue(reason.hasPrefix("InvalidJWTToken: Token has expired"), reason)
        try await harness.shutdown()
    }

    /// A join without `access_token` is authorized as the connect token's identity, re-checked against the clock:
    /// once that token has expired, the join is refused as verifying the token again would refuse it.
    func testJoinWithoutAccessTokenIsAuthorizedAsTheConnectTokenUntilItExpires() async throws {
        let harness = try await HubHarness()
        let client = try await harness.connect()
        XCTAssertEqual(client.join("realtime:a")?["status"], .string("ok"))
        let connection = client.connection
        let joinedAsConnect = try await connection.eventLoop.submit {
            connection.registry.channel("realtime:a")?.identity == connection.connectIdentity
                && connection.registry.channel("realtime:a")?.tokenFingerprint == connection.connectTokenFingerprint
        }.get()
        XCTAssertTrue(joinedAsConnect)
        harness.clock.advance(by: 3600 + 30)
        let expected = harness.verifier.verify(client.token, now: harness.clock.now)
        XCTAssertEqual(expected, .failure(.expired(secondsAgo: 30)))
        let reply = client.join("realtime:b", ref: "2")
        XCTAssertEqual(reply?["status"], .string("error"))
        XCTAssertEqual(reply?["response"]?["reason"]?.stringValue, "InvalidJWTToken: Token has expired 30 seconds ago")
        try await harness.shutdown()
    }

    func testChannelClosesWhenItsTokenExpires() async throws {
        let harness = try await HubHarness()
        let client = try await harness.connect()
        let shortLived = try await harness.token(expiresIn: 1)
        XCTAssertEqual(client.join("realtime:a", extra: ["access_token": .string(shortLived)])?["status"], .string("ok"))
        // The expiry timer (armed for ~1 s of real time) reads the hub's clock when it fires.
        harness.clock.advance(by: 2)
        let system = client.transport.waitForEvent("system", timeout: 10)
        XCTAssertEqual(system?.payloadValue?["message"]?.stringValue?.hasPrefix("Token has expired"), true)
        XCTAssertEqual(system?.payloadValue?["status"], .string("error"))
        XCTAssertNotNil(client.transport.waitForEvent("phx_close"))
        XCTAssertNil(client.transport.closeCode, "expiry closes channels, not the socket")
        try await harness.shutdown()
    }

    func testTheLoopsExpirySweepRunsOnlyWhileAChannelHasAnExpiringToken() async throws {
        let harness = try await HubHarness()
        let client = try await harness.connect()
        let connection = client.connection
        let tracker = harness.services.connections, loop = connection.eventLoop, loopIndex = connection.loopIndex
        let sweeping = { try await loop.submit { tracker.isSweepingExpiry(loopIndex: loopIndex) }.get() }
        let notSweepingAtFirst = try await sweeping()
        XCTAssertFalse(notSweepingAtFirst, "no timer of any kind before a join")
        let shortLived = try await harness.token(expiresIn: 1)
        XCTAssertEqual(client.join("realtime:a", extra: ["access_token": .string(shortLived)])?["status"], .string("ok"))
        let sweepingAfterJoin = try await sweeping()
        XCTAssertTrue(sweepingAfterJoin)
        harness.clock.advance(by: 2)
        XCTAssertNotNil(client.transport.waitForEvent("phx_close", timeout: 10))
        // The sweep stops on its next round with nothing to watch.
        let stopped = try await harness.eventually(on: loop) {
            !tracker.isSweepingExpiry(loopIndex: loopIndex)
        }
        XCTAssertTrue(stopped, "the sweep stops once no channel has an expiring token")
        try await harness.shutdown()
    }

    func testRefreshedTokenKeepsTheChannelPastTheOldExpiry() async throws {
        let harness = try await HubHarness()
        let client = try await harness.connect()
        let shortLived = try await harness.token(expiresIn: 60)
        client.join("realtime:a", extra: ["access_token": .string(shortLived)])
        let fresh = try await harness.token(expiresIn: 3600)
        client.send(topic: "realtime:a", event: "access_token", payload: .object(["access_token": .string(fresh)]),
                    ref: "2", joinRef: "1")
        // A refresh is verified off the loop and has no reply: wait until the channel holds the new token.
        let connection = client.connection
        let refreshed = try await harness.eventually(on: connection) {
            $0.registry.channel("realtime:a")?.tokenFingerprint == TokenFingerprint(fresh)
        }
        XCTAssertTrue(refreshed, "the refresh was applied")
        harness.clock.advance(by: 120)
        try await client.connection.eventLoop.submit { client.connection.closeExpiredChannels() }.get()
        try await harness.settle(client, topic: "realtime:a", ref: "hb2")
        XCTAssertEqual(client.transport.count(of: "system"), 0)
        XCTAssertEqual(client.transport.count(of: "phx_close"), 0)

        harness.clock.advance(by: 3600)
        try await client.connection.eventLoop.submit { client.connection.closeExpiredChannels() }.get()
        let system = client.transport.waitForEvent("system")
        XCTAssertEqual(system?.payloadValue?["message"]?.stringValue?.hasPrefix("Token has expired"), true)
        try await harness.shutdown()
    }

    func testInvalidRefreshClosesTheChannel() async throws {
        let harness = try await HubHarness()
        let client = try await harness.connect()
        client.join("realtime:a")
        client.send(topic: "realtime:a", event: "access_token", payload: .object(["access_token": .string("garbage")]),
                    ref: "2", joinRef: "1")
        let system = client.transport.waitForEvent("system")
        XCTAssertEqual(system?.payloadValue?["message"], .string("The token provided is not a valid JWT"))
        XCTAssertNotNil(client.transport.waitForEvent("phx_close"))
        try await harness.shutdown()
    }
}
