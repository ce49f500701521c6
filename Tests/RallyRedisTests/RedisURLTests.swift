import NIOCore
import RallyRedis
import XCTest

final class RedisURLTests: XCTestCase {
    func testHostOnlyTakesTheDefaults() throws {
        XCTAssertEqual(try RedisURL("redis://localhost"), RedisURL(host: "localhost"))
        XCTAssertEqual(try RedisURL("redis://127.0.0.1:6380/"), RedisURL(host: "127.0.0.1", port: 6380))
    }

    func testEveryPart() throws {
        let url = try RedisURL("rediss://rally:s3cret@redis.example.com:6390/4")
        XCTAssertEqual(url, RedisURL(host: "redis.example.com", port: 6390, tls: true, username: "rally",
                                     password: "s3cret", database: 4))
    }

    func testPasswordOnlyAndUserOnly() throws {
        let passwordOnly = try RedisURL("redis://:pw@h")
        XCTAssertNil(passwordOnly.username)
        XCTAssertEqual(passwordOnly.password, "pw")
        let userOnly = try RedisURL("redis://alice@h")
        XCTAssertEqual(userOnly.username, "alice")
        XCTAssertNil(userOnly.password)
    }

    func testPercentDecoding() throws {
        let url = try RedisURL("redis://us%40er:p%3Aw%2F%40%25%C3%A9@h:1/0")
        XCTAssertEqual(url.username, "us@er")
        XCTAssertEqual(url.password, "p:w/@%é")
    }

    func testAnAtSignInThePasswordBeforeTheHost() throws {
        let url = try RedisURL("redis://u:a@b@host")
        XCTAssertEqual(url.password, "a@b")
        XCTAssertEqual(url.host, "host")
    }

    func testIPv6() throws {
        XCTAssertEqual(try RedisURL("redis://[::1]:7000/2"), RedisURL(host: "::1", port: 7000, database: 2))
        XCTAssertEqual(try RedisURL("redis://[::1]").port, 6379)
    }

    func testSchemeIsCaseInsensitive() throws {
        XCTAssertTrue(try RedisURL("REDISS://h").tls)
    }

    func testJunkIsRefused() {
        let cases: [(String, RedisURL.ParseError)] = [
            ("http://h", .unsupportedScheme("http")),
            ("h:6379", .unsupportedScheme("h:6379")),
            ("redis://", .missingHost),
            ("redis://:6379", .missingHost),
            ("redis://u:p@", .missingHost),
            ("redis://h:port", .invalidPort("port")),
            ("redis://h:0", .invalidPort("0")),
            ("redis://h:70000", .invalidPort("70000")),
            ("redis://h:+80", .invalidPort("+80")),
            ("redis://h:", .invalidPort("")),
            ("redis://h/db", .invalidDatabase("db")),
            ("redis://h/-1", .invalidDatabase("-1")),
            ("redis://h/1/2", .invalidDatabase("1/2")),
            ("redis://h?db=1", .unsupportedQueryOrFragment),
            ("redis://h#x", .unsupportedQueryOrFragment),
            ("redis://ho st", .invalidHost("ho st")),
            ("redis://[::1", .invalidHost("[::1")),
            ("redis://[::1]x", .invalidHost("[::1]x")),
            ("redis://u:%zz@h", .invalidPercentEncoding("%zz")),
            ("redis://u:%4@h", .invalidPercentEncoding("%4")),
            ("redis://u:%ff@h", .invalidPercentEncoding("%ff")),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try RedisURL(text), text) {
                XCTAssertEqual($0 as? RedisURL.ParseError, expected, text)
            }
        }
    }

    func testDescriptionHidesThePassword() throws {
        XCTAssertEqual(try RedisURL("rediss://u:secret@h:1/2").description, "rediss://u:***@h:1/2")
        XCTAssertEqual(try RedisURL("redis://[::1]").description, "redis://[::1]:6379/0")
    }
}

final class RedisKeySlotTests: XCTestCase {
    func testCRC16IsXMODEM() {
        XCTAssertEqual(RedisKeySlot.crc16(Array("123456789".utf8)), 0x31C3)
    }

    func testSlotsMatchRedis() {
        // Values from CLUSTER KEYSLOT.
        XCTAssertEqual(RedisKeySlot.slot(of: "foo"), 12182)
        XCTAssertEqual(RedisKeySlot.slot(of: "bar"), 5061)
        XCTAssertEqual(RedisKeySlot.slot(of: ""), 0)
    }

    func testHashTags() {
        XCTAssertEqual(RedisKeySlot.slot(of: "{user1000}.following"), RedisKeySlot.slot(of: "user1000"))
        XCTAssertEqual(RedisKeySlot.slot(of: "foo{bar}{zap}"), RedisKeySlot.slot(of: "bar"))
        XCTAssertEqual(RedisKeySlot.slot(of: "foo{{bar}}zap"), RedisKeySlot.slot(of: "{bar"))
        XCTAssertEqual(RedisKeySlot.slot(of: "foo{}{bar}"), RedisKeySlot.slot(of: Array("foo{}{bar}".utf8)))
        XCTAssertNotEqual(RedisKeySlot.slot(of: "foo{}{bar}"), RedisKeySlot.slot(of: "bar"))
        XCTAssertEqual(RedisKeySlot.slot(of: "foo{bar"), RedisKeySlot.slot(of: Array("foo{bar".utf8)))
    }
}

final class RedisBackoffTests: XCTestCase {
    func testDelaysDoubleUpToTheCapWithJitterWithinHalfToFull() {
        let backoff = RedisBackoff(initial: .milliseconds(100), maximum: .seconds(5))
        let ceilings = (0..<10).map { backoff.delay(attempt: $0) }
        let expectedCeilings: [Int64] = [100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000, 5000].map { $0 * 1_000_000 }
        for (delay, ceiling) in zip(ceilings, expectedCeilings) {
            XCTAssertLessThanOrEqual(delay.nanoseconds, ceiling)
            XCTAssertGreaterThanOrEqual(delay.nanoseconds, ceiling / 2)
        }
        XCTAssertEqual(backoff.delay(attempt: 1_000).nanoseconds <= 5_000_000_000, true)
    }

    func testNeverZero() {
        let backoff = RedisBackoff(initial: .zero, maximum: .zero)
        XCTAssertGreaterThanOrEqual(backoff.delay(attempt: 0).nanoseconds, 500_000)
    }
}
