import NIOHTTP1
import RallyWebSocket

/// Cross-origin answers on the REST API paths, so that realtime-js can publish from a browser page served by
/// another origin: a preflight `OPTIONS` gets 204 with `Access-Control-Allow-Origin/Methods/Headers/Max-Age`,
/// and the actual response carries `Access-Control-Allow-Origin`. An origin not in the list gets no CORS
/// headers at all (the browser then refuses to let the page read the answer).
struct CORSPolicy: Sendable {
    /// Allowed `Origin` values, exactly as browsers send them (`https://app.example.com`); `*` allows any.
    let origins: [String]

    static let allowedMethods = "POST, OPTIONS"
    static let allowedHeaders = "apikey, authorization, content-type, x-client-info"
    /// Seconds a browser may keep a preflight's answer (Chromium keeps at most 7200).
    static let maxAge = "7200"

    /// The `Access-Control-Allow-Origin` value for a request from `origin`; nil when it gets none.
    func allowedOrigin(for origin: String?) -> String? {
        guard let origin else { return nil }
        if origins.contains("*") { return "*" }
        return origins.contains(origin) ? origin : nil
    }

    func preflight(_ request: HTTPRequest) -> HTTPResponse {
        var response = HTTPResponse(status: .noContent)
        guard let allowed = allowedOrigin(for: request.head.headers.first(name: "origin")) else { return response }
        response.headers.add(name: "Access-Control-Allow-Origin", value: allowed)
        response.headers.add(name: "Access-Control-Allow-Methods", value: Self.allowedMethods)
        response.headers.add(name: "Access-Control-Allow-Headers", value: Self.allowedHeaders)
        response.headers.add(name: "Access-Control-Max-Age", value: Self.maxAge)
        if allowed != "*" { response.headers.add(name: "Vary", value: "Origin") }
        return response
    }

    func decorate(_ response: HTTPResponse, for request: HTTPRequest) -> HTTPResponse {
        guard let allowed = allowedOrigin(for: request.head.headers.first(name: "origin")) else { return response }
        var response = response
        response.headers.add(name: "Access-Control-Allow-Origin", value: allowed)
        if allowed != "*" { response.headers.add(name: "Vary", value: "Origin") }
        return response
    }
}
