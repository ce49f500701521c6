import NIOCore
import NIOHTTP1
import RallyClient
@testable import RallyServer
import XCTest

/// `RALLY_CORS_ORIGINS`: `*` in embedded mode, none in production, or the listed origins; an origin not allowed
/// gets no CORS headers, on the preflight and on the actual response.
final class CORSOriginsTests: XCTestCase {
    func testDefaultsAndParsing() throws {
        var configuration = RallyConfiguration()
        XCTAssertEqual(configuration.effectiveCORSOrigins, ["*"])
        configuration.mode = .production
        XCTAssertEqual(configuration.effectiveCORSOrigins, [])
        try configuration.apply(environment: ["RALLY_CORS_ORIGINS": " https://app.example.com, http://localhost:5173 "])
        XCTAssertEqual(configuration.effectiveCORSOrigins, ["https://app.example.com", "http://localhost:5173"])
        try configuration.apply(environment: ["RALLY_CORS_ORIGINS": ""])
        XCTAssertEqual(configuration.effectiveCORSOrigins, [])
    }

    func testAPreflightMayAskForMoreHeaderNames() {
        XCTAssertEqual(CORSPolicy.allowedHeaders(requested: "apikey,authorization,content-type,x-client-info"),
                       "apikey, authorization, content-type, x-client-info")
        XCTAssertEqual(CORSPolicy.allowedHeaders(requested: "Authorization, TraceParent,tracestate,bad name,a\u{1}b"),
                       "apikey, authorization, content-type, x-client-info, traceparent, tracestate")
        let many = (1...40).map { "x-\($0)" }.joined(separator: ",")
        XCTAssertEqual(CORSPolicy.allowedHeaders(requested: many).split(separator: ",").count,
                       4 + CORSPolicy.maxExtraHeaders)
    }

    func testOnlyListedOriginsGetCORSHeaders() async throws {
        let harness = try await NodeHarness { $0.corsOrigins = ["http://app.test:8080"] }
        let rest = try await RealtimeJSRequests(harness)
        let path = "/realtime/v1/api/broadcast"
        for (origin, allowed) in [("http://app.test:8080", true), ("http://evil.test", false)] {
            var preflightHeaders = RealtimeJSRequests.preflightHeaders
            preflightHeaders.replaceOrAdd(name: "Origin", value: origin)
            let preflight = try await rest.http.request(method: .OPTIONS, path: path, headers: preflightHeaders).get()
            XCTAssertEqual(preflight.status, 204)
            XCTAssertEqual(preflight.headers.first(name: "access-control-allow-origin"), allowed ? origin : nil)
            XCTAssertEqual(preflight.headers.first(name: "access-control-allow-headers") != nil, allowed)
            XCTAssertEqual(preflight.headers.first(name: "vary"), allowed ? "Origin" : nil)

            var headers = try await RealtimeJSRequests.realtimeJSHeaders(token: harness.token())
            headers.add(name: "Origin", value: origin)
            let body = ByteBuffer(string: #"{"messages":[{"topic":"lobby","event":"x","payload":{},"private":false}]}"#)
            let actual = try await rest.http.post(path: path, headers: headers, body: body).get()
            XCTAssertEqual(actual.status, 202)
            XCTAssertEqual(actual.headers.first(name: "access-control-allow-origin"), allowed ? origin : nil)
        }
        try await rest.close()
    }
}
