import Foundation
import NIOCore
import NIOHTTP1
import RallyClient
import RallyProtocol
import XCTest

/// Requests shaped exactly as realtime-js sends them (RealtimeChannel `httpSend` and the `send` fallback), to a
/// node of `NodeHarness`.
final class RealtimeJSRequests {
    let harness: NodeHarness
    let http: HTTPClientConnection

    init(_ harness: NodeHarness) async throws {
        self.harness = harness
        http = try await harness.http()
    }

    func close() async throws {
        http.close()
        try await harness.shutdown()
    }

    // MARK: Requests as realtime-js sends them

    /// `apikey` (the project key; here a token too) and `Authorization: Bearer <the user's access token>`.
    static func realtimeJSHeaders(token: String, contentType: String = "application/json") -> HTTPHeaders {
        var headers = headers(token: token)
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "x-client-info", value: "realtime-js/2.0.0")
        return headers
    }

    static func headers(token: String) -> HTTPHeaders {
        HTTPHeaders([("apikey", token), ("Authorization", "Bearer \(token)")])
    }

    static let preflightHeaders = HTTPHeaders([
        ("Origin", "http://127.0.0.1:5173"), ("Access-Control-Request-Method", "POST"),
        ("Access-Control-Request-Headers", "apikey,authorization,content-type,x-client-info"),
    ])

    /// `httpSend(event, payload)`: the topic and event percent-encoded into the path, `?private=true` when private.
    func httpSend(as user: UUID?, role: String = "authenticated", topic: String, event: String, payload: JSON,
                  isPrivate: Bool = false) async throws -> HTTPClientResponse {
        var buffer = ByteBuffer()
        payload.write(to: &buffer)
        return try await httpSend(as: user, role: role, topic: topic, event: event, body: buffer,
                                  contentType: "application/json", isPrivate: isPrivate)
    }

    func httpSend(as user: UUID?, topic: String, event: String, binary: [UInt8]) async throws -> HTTPClientResponse {
        try await httpSend(as: user, role: "authenticated", topic: topic, event: event, body: ByteBuffer(bytes: binary),
                           contentType: "application/octet-stream", isPrivate: false)
    }

    private func httpSend(as user: UUID?, role: String, topic: String, event: String, body: ByteBuffer,
                          contentType: String, isPrivate: Bool) async throws -> HTTPClientResponse {
        let token = try await harness.token(role: role, subject: user?.uuidString.lowercased())
        let path = "/realtime/v1/api/broadcast/\(Self.encode(topic))/events/\(Self.encode(event))"
            + (isPrivate ? "?private=true" : "")
        return try await http.post(path: path, headers: Self.realtimeJSHeaders(token: token, contentType: contentType),
                                   body: body).get()
    }

    func post(_ path: String, as user: UUID?, role: String = "authenticated", body: JSON) async throws
        -> HTTPClientResponse {
        let token = try await harness.token(role: role, subject: user?.uuidString.lowercased())
        var buffer = ByteBuffer()
        body.write(to: &buffer)
        return try await http.post(path: path, headers: Self.realtimeJSHeaders(token: token), body: buffer).get()
    }

    /// `encodeURIComponent`.
    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-_.!~*'()")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    func joined(_ user: UUID, _ topic: String, version: ProtocolVersion = .v1) async throws -> TestConnection {
        let client = try await harness.connect(as: user, version: version)
        try await client.assertJoins(topic)
        return client
    }

    func message(_ response: HTTPClientResponse) -> String {
        (try? JSON.parse(response.body))?["message"]?.stringValue ?? ""
    }
}
