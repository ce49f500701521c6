import Foundation
import RallyRedis
import XCTest

/// Where the real Redis of the tests is: `RALLY_TEST_REDIS_URL`, set by `scripts/services.sh start`. Unset, a
/// test that needs it fails, saying how to start it — unless `RALLY_TEST_NO_SERVICES=1` asks to skip such tests.
public enum TestRedis {
    public static let urlVariable = "RALLY_TEST_REDIS_URL"
    public static let optOutVariable = "RALLY_TEST_NO_SERVICES"

    public struct Missing: Error, CustomStringConvertible {
        public var description: String
    }

    /// The server URL, or a skip / a failure with the reason.
    public static func url(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> RedisURL {
        if let text = environment[urlVariable], !text.isEmpty { return try RedisURL(text) }
        if environment[optOutVariable] == "1" {
            throw XCTSkip("\(optOutVariable)=1: skipping a test that needs Redis")
        }
        let reason = """
            \(urlVariable) is not set: this test needs a real Redis. Run `eval "$(scripts/services.sh start)"` \
            first (or set \(optOutVariable)=1 to skip the tests that need services).
            """
        XCTFail(reason)
        throw Missing(description: reason)
    }

    /// A configuration for the test server with a fast reconnect.
    public static func configuration(clientName: String? = nil) throws -> RedisConfiguration {
        var configuration = RedisConfiguration(url: try url(), clientName: clientName)
        configuration.reconnectBackoff = RedisBackoff(initial: .milliseconds(20), maximum: .milliseconds(200))
        configuration.connectTimeout = .seconds(2)
        return configuration
    }
}

