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
    /// Most header names of a preflight's `Access-Control-Request-Headers` answered beyond `allowedHeaders`.
    static let maxExtraHeaders = 16
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
        let requested = request.head.headers.first(name: "access-control-request-headers") ?? ""
        response.headers.add(name: "Access-Control-Allow-Headers", value: Self.allowedHeaders(requested: requested))
        response.headers.add(name: "Access-Control-Max-Age", value: Self.maxAge)
        if allowed != "*" { response.headers.add(name: "Vary", value: "Origin") }
        return response
    }

    /// `allowedHeaders`, then the other names the preflight asks for (as Supabase's gateway allows whatever is
    /// asked: supabase-js may add `traceparent`, `tracestate`, `baggage`), each a plain header name, at most
    /// `maxExtraHeaders` of them. No credentials are allowed (no `Access-Control-Allow-Credentials`), so a header
    /// name grants nothing a page could not send without CORS.
    static func allowedHeaders(requested: String) -> String {
        let known = Set(allowedHeaders.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        var extra: [String] = []
        for name in requested.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) {
            guard extra.count < maxExtraHeaders, !name.isEmpty, name.utf8.count <= 64, !known.contains(name),
                  !extra.contains(name), name.utf8.allSatisfy(isNameByte) else { continue }
            extra.append(name)
        }
        return ([allowedHeaders] + extra).joined(separator: ", ")
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"),
             UInt8(ascii: "_"), UInt8(ascii: "."):
            return true
        default:
            return false
        }
    }

    func decorate(_ response: HTTPResponse, for request: HTTPRequest) -> HTTPResponse {
        guard let allowed = allowedOrigin(for: request.head.headers.first(name: "origin")) else { return response }
        var response = response
        response.headers.add(name: "Access-Control-Allow-Origin", value: allowed)
        if allowed != "*" { response.headers.add(name: "Vary", value: "Origin") }
        return response
    }
}
