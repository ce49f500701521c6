import XCTest

@testable import RallyProtocol

final class JoinConfigTests: XCTestCase {
    private func config(_ payload: String, file: StaticString = #filePath, line: UInt = #line) -> JoinConfig {
        JoinConfig.parse(parse(payload, file: file, line: line) ?? .null)
    }

    func testFullRealtimeJSPayload() {
        let parsed = config(#"""
        {"config":{"broadcast":{"ack":true,"self":true,"replay":{"since":1763407103911,"limit":10},"replication_ready":false},
         "presence":{"enabled":true,"key":"user-1"},
         "postgres_changes":[{"event":"*","schema":"public","table":"messages","filter":"room_id=eq.5","select":["id","body"]}],
         "private":true},
         "access_token":"eyJhbGciOi.jwt","version":"realtime-js/2.81.0"}
        """#)
        XCTAssertTrue(parsed.hasConfig)
        XCTAssertTrue(parsed.broadcastAck)
        XCTAssertTrue(parsed.broadcastSelf)
        XCTAssertTrue(parsed.presenceEnabled)
        XCTAssertEqual(parsed.presenceKey, "user-1")
        XCTAssertTrue(parsed.isPrivate)
        XCTAssertEqual(parsed.replaySince, 1_763_407_103_911)
        XCTAssertEqual(parsed.replayLimit, 10)
        XCTAssertEqual(parsed.accessToken, "eyJhbGciOi.jwt")
        XCTAssertEqual(parsed.postgresChanges.count, 1)
        XCTAssertEqual(parsed.postgresChanges.first?.fields.map(\.key), ["event", "schema", "table", "filter", "select"])
    }

    func testRealtimePyNullBroadcastAndEmptyPresenceKey() {
        let parsed = config(#"{"config":{"broadcast":null,"presence":{"key":""},"private":false}}"#)
        XCTAssertTrue(parsed.hasConfig)
        XCTAssertFalse(parsed.broadcastSelf)
        XCTAssertFalse(parsed.broadcastAck)
        XCTAssertEqual(parsed.presenceKey, "")
        XCTAssertFalse(parsed.presenceEnabled)
        XCTAssertEqual(parsed.postgresChanges, [])
        XCTAssertNil(parsed.accessToken)
    }

    func testStringBooleansInAnyCase() {
        let parsed = config(#"{"config":{"broadcast":{"self":"TRUE","ack":"True"},"presence":{"enabled":"tRuE"},"private":"true"}}"#)
        XCTAssertTrue(parsed.broadcastSelf)
        XCTAssertTrue(parsed.broadcastAck)
        XCTAssertTrue(parsed.presenceEnabled)
        XCTAssertTrue(parsed.isPrivate)
        let falsy = config(#"{"config":{"broadcast":{"self":"FALSE"},"private":"False"}}"#)
        XCTAssertFalse(falsy.broadcastSelf)
        XCTAssertFalse(falsy.isPrivate)
    }

    func testInvalidPartsFallBackToDefaults() {
        let parsed = config(#"""
        {"config":{"broadcast":{"self":"yes","ack":1,"replay":{"since":"soon","limit":2.5}},
         "presence":"on","private":null,"postgres_changes":{"event":"*"}}}
        """#)
        XCTAssertEqual(parsed.broadcastSelf, false)
        XCTAssertEqual(parsed.broadcastAck, false)
        XCTAssertNil(parsed.replaySince)
        XCTAssertNil(parsed.replayLimit)
        XCTAssertFalse(parsed.presenceEnabled)
        XCTAssertNil(parsed.presenceKey)
        XCTAssertFalse(parsed.isPrivate)
        XCTAssertEqual(parsed.postgresChanges, [])
        XCTAssertTrue(parsed.hasConfig)
    }

    func testReplayAfterIDAcceptsNumbersAndDigitStrings() {
        XCTAssertEqual(config(#"{"config":{"broadcast":{"replay":{"after_id":"42","limit":5}}}}"#).replayAfterID, 42)
        XCTAssertEqual(config(#"{"config":{"broadcast":{"replay":{"after_id":7}}}}"#).replayAfterID, 7)
        let junk = config(#"{"config":{"broadcast":{"replay":{"after_id":"x7"}}}}"#)
        XCTAssertNil(junk.replayAfterID)
        XCTAssertTrue(junk.wantsReplay)
        XCTAssertFalse(config(#"{"config":{"broadcast":{"ack":true}}}"#).wantsReplay)
    }

    func testPostgresChangesSkipsNonObjectsAndKeepsOrder() {
        let parsed = config(#"{"config":{"postgres_changes":[{"event":"INSERT","table":"a"},"junk",3,null,{"event":"DELETE","schema":"s"}]}}"#)
        XCTAssertEqual(parsed.postgresChanges, [
            ["event": .string("INSERT"), "table": .string("a")],
            ["event": .string("DELETE"), "schema": .string("s")],
        ])
    }

    func testTokens() {
        XCTAssertNil(config(#"{"config":{},"access_token":"sb_publishable_abc"}"#).accessToken)
        XCTAssertNil(config(#"{"config":{},"access_token":null}"#).accessToken)
        XCTAssertNil(config(#"{"config":{},"access_token":42}"#).accessToken)
        XCTAssertEqual(config(#"{"config":{},"user_token":"legacy.jwt"}"#).accessToken, "legacy.jwt")
        XCTAssertEqual(config(#"{"config":{},"access_token":null,"user_token":"legacy.jwt"}"#).accessToken, "legacy.jwt")
        XCTAssertEqual(config(#"{"config":{},"access_token":"new.jwt","user_token":"legacy.jwt"}"#).accessToken, "new.jwt")
        XCTAssertEqual(config(#"{"access_token":"no.config.jwt"}"#).accessToken, "no.config.jwt")
    }

    func testMissingConfigIsTheLegacyAPI() {
        XCTAssertEqual(config("{}"), JoinConfig())
        XCTAssertFalse(config(#"{"user_token":"t"}"#).hasConfig)
        XCTAssertTrue(config(#"{"config":null}"#).hasConfig)
        XCTAssertEqual(JoinConfig.parse(.array([])), JoinConfig())
        XCTAssertEqual(JoinConfig.parse(.string("config")), JoinConfig())
    }

    func testReplayAcceptsIntegralNumbersOnly() {
        let parsed = config(#"{"config":{"broadcast":{"replay":{"since":1.7634071e12,"limit":25}}}}"#)
        XCTAssertEqual(parsed.replaySince, 1_763_407_100_000)
        XCTAssertEqual(parsed.replayLimit, 25)
        XCTAssertNil(config(#"{"config":{"broadcast":{"replay":{"since":-1.5}}}}"#).replaySince)
        XCTAssertNil(config(#"{"config":{"broadcast":{"replay":{"limit":"10"}}}}"#).replayLimit)
    }
}
