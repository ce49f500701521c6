import Foundation
import NIOCore
import RallyProtocol
import XCTest
@testable import RallyLive

/// The sharing state and the payload rules, without I/O: opt-in, expiry, renewal, rate limit, rounding,
/// validation.
final class LocationSharingTests: XCTestCase {
    let alice = UUID(), bob = UUID()
    let topic = "realtime:location:plan:00000000-0000-0000-0000-000000000001"
    let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000_000)

    func at(_ seconds: Double) -> NIODeadline { t0 + .nanoseconds(Int64(seconds * 1e9)) }

    func testNoPositionWithoutAShareAndNoneAfterStop() {
        var shares = LocationShares(settings: LocationSettings())
        XCTAssertEqual(shares.position(channel: 1, now: t0), .notSharing, "not opted in")
        XCTAssertNotNil(shares.start(channel: 1, user: alice, topic: topic, durationSeconds: 60, now: t0))
        XCTAssertEqual(shares.position(channel: 1, now: at(1)), .accepted(expiresAt: at(60)))
        XCTAssertEqual(shares.position(channel: 2, now: at(1)), .notSharing, "the share is the channel's")
        XCTAssertEqual(shares.stop(channel: 1)?.user, alice)
        XCTAssertNil(shares.stop(channel: 1), "stopping twice ends nothing more")
        XCTAssertEqual(shares.position(channel: 1, now: at(3)), .notSharing)
    }

    func testDurationsAreBoundedAndDefaulted() {
        var settings = LocationSettings()
        settings.maxDurationSeconds = 600
        settings.defaultDurationSeconds = 300
        var shares = LocationShares(settings: settings)
        XCTAssertEqual(shares.start(channel: 1, user: alice, topic: topic, durationSeconds: 86_400, now: t0), at(600))
        XCTAssertEqual(shares.start(channel: 2, user: bob, topic: topic, durationSeconds: nil, now: t0), at(300))
    }

    func testExpiryEndsTheShareAndARenewalMovesItOn() {
        var shares = LocationShares(settings: LocationSettings())
        _ = shares.start(channel: 1, user: alice, topic: topic, durationSeconds: 10, now: t0)
        XCTAssertNil(shares.expire(channel: 1, now: at(9)), "a timer that fires early expires nothing")
        _ = shares.start(channel: 1, user: alice, topic: topic, durationSeconds: 10, now: at(5))
        XCTAssertNil(shares.expire(channel: 1, now: at(10)), "renewed until 15")
        XCTAssertEqual(shares.expire(channel: 1, now: at(15))?.topic, topic)
        XCTAssertEqual(shares.position(channel: 1, now: at(16)), .notSharing)
    }

    func testAPositionPastTheEndIsRefusedAndEndsTheShare() {
        var shares = LocationShares(settings: LocationSettings())
        _ = shares.start(channel: 1, user: alice, topic: topic, durationSeconds: 10, now: t0)
        guard case .expired(let share) = shares.position(channel: 1, now: at(10)) else {
            return XCTFail("expected the share to have expired")
        }
        XCTAssertEqual(share.user, alice)
        XCTAssertEqual(shares.position(channel: 1, now: at(10)), .notSharing)
    }

    func testTheRateLimitIsPerPersonAcrossChannelsAndSurvivesARestart() {
        var settings = LocationSettings()
        settings.positionsPerSecond = 1
        settings.burst = 3
        var shares = LocationShares(settings: settings)
        _ = shares.start(channel: 1, user: alice, topic: topic, durationSeconds: 60, now: t0)
        _ = shares.start(channel: 2, user: alice, topic: "realtime:location:friends:x", durationSeconds: 60, now: t0)
        XCTAssertEqual(shares.position(channel: 1, now: t0), .accepted(expiresAt: at(60)))
        XCTAssertEqual(shares.position(channel: 2, now: t0), .rateLimited, "two starts and one position: 3 tokens")
        XCTAssertEqual(shares.position(channel: 1, now: at(1)), .accepted(expiresAt: at(60)), "one token a second")
        _ = shares.stop(channel: 1)
        _ = shares.stop(channel: 2)
        XCTAssertNil(shares.start(channel: 3, user: alice, topic: topic, durationSeconds: 60, now: at(1)),
                     "stopping and starting again does not refill the bucket")
        _ = shares.start(channel: 4, user: bob, topic: topic, durationSeconds: 60, now: at(1))
        XCTAssertEqual(shares.position(channel: 4, now: at(1)), .accepted(expiresAt: at(61)), "bob's own budget")
    }

    func testIdleBudgetsAreDropped() {
        var shares = LocationShares(settings: LocationSettings())
        for channel in 0..<40 {
            _ = shares.start(channel: UInt64(channel), user: UUID(), topic: topic, durationSeconds: 1, now: t0)
            _ = shares.stop(channel: UInt64(channel))
        }
        XCTAssertEqual(shares.budgetCount, 40, "budgets used a moment ago are kept")
        _ = shares.start(channel: 99, user: alice, topic: topic, durationSeconds: 1, now: at(100))
        XCTAssertEqual(shares.budgetCount, 1, "every budget idle for longer than a refill is gone")
    }

    func testPositionsAreRoundedAndTheAccuracyNeverFinerThanTheRounding() {
        var settings = LocationSettings()
        settings.precisionDigits = 3
        let rounded = LocationPayloads.rounded(.init(lat: 52.520_608, lon: -13.404_954, accuracy: 5), settings)
        XCTAssertEqual(rounded, .init(lat: 52.521, lon: -13.405, accuracy: 112))
        let json = LocationPayloads.location(user: alice, rounded, at: Date(), expiresAt: Date(), settings)
        XCTAssertEqual(json["lat"], .number("52.521"))
        XCTAssertEqual(json["lon"], .number("-13.405"))
        XCTAssertEqual(json["accuracy"], .number("112"))
        XCTAssertEqual(json["user_id"], .string(alice.uuidString.lowercased()))
        XCTAssertEqual(LocationPayloads.number(-0.0001, digits: 3), .number("0.000"), "no negative zero")
        let coarse = LocationPayloads.rounded(.init(lat: 1, lon: 1, accuracy: 900), settings)
        XCTAssertEqual(coarse.accuracy, 900, "a coarser accuracy is kept")
    }

    func testPositionsAreValidated() throws {
        let settings = LocationSettings()
        func check(_ text: String) -> Result<LocationPayloads.Position, LocationPayloads.Refusal> {
            LocationPayloads.position(.json(try! JSON.parse(ByteBuffer(string: text))), settings)
        }
        XCTAssertEqual(try check(#"{"lat": 1.5, "lon": -2, "extra": "ignored"}"#).get(),
                       .init(lat: 1.5, lon: -2, accuracy: nil))
        for bad in [#"{"lat": 91, "lon": 0}"#, #"{"lat": 0, "lon": -180.5}"#, #"{"lat": "1", "lon": 0}"#,
                    #"{"lat": 1e400, "lon": 0}"#, #"{"lon": 0}"#, #"{"lat": 0, "lon": 0, "accuracy": -1}"#,
                    #"[1, 2]"#, #"{"lat": 0, "lon": 0, "accuracy": "far"}"#] {
            XCTAssertEqual(check(bad), .failure(LocationPayloads.invalidPosition), bad)
        }
        let padded = #"{"lat": 0, "lon": 0, "pad": "\#(String(repeating: "x", count: 300))"}"#
        XCTAssertEqual(check(padded), .failure(LocationPayloads.tooLarge(settings)))
        XCTAssertEqual(LocationPayloads.position(.binary(ByteBuffer(string: "{}")), settings),
                       .failure(LocationPayloads.invalidPosition))
    }

    func testShareStartDurations() throws {
        let settings = LocationSettings()
        func duration(_ text: String) -> Result<Int?, LocationPayloads.Refusal> {
            LocationPayloads.duration(.json(try! JSON.parse(ByteBuffer(string: text))), settings)
        }
        XCTAssertEqual(try duration(#"{}"#).get(), nil)
        XCTAssertEqual(try duration(#"{"duration_s": 120}"#).get(), 120)
        for bad in [#"{"duration_s": 0}"#, #"{"duration_s": 1.5}"#, #"{"duration_s": "60"}"#, #"null"#] {
            XCTAssertEqual(duration(bad), .failure(LocationPayloads.invalidShare), bad)
        }
    }
}
