/// A `ws://` URL taken apart for the HTTP upgrade request. The query is kept verbatim.
public struct WebSocketURL: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// The path, starting with `/` (`/` when the URL has none).
    public var path: String
    /// The query without the `?`, exactly as given; nil when the URL has none.
    public var query: String?

    public init(host: String, port: Int = 80, path: String = "/", query: String? = nil) {
        self.host = host
        self.port = port
        self.path = path
        self.query = query
    }

    /// Parses `ws://host[:port][/path][?query]`. `wss://` is refused (this client has no TLS).
    public init(parsing text: String) throws {
        guard text.lowercased().hasPrefix("ws://") else {
            throw WebSocketClientError.invalidURL(text, reason: "only ws:// URLs are supported")
        }
        let rest = text.dropFirst("ws://".count)
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let (host, port) = try Self.splitAuthority(String(rest[..<authorityEnd]), url: text)
        var target = String(rest[authorityEnd...])
        var query: String? = nil
        if let mark = target.firstIndex(of: "?") {
            query = String(target[target.index(after: mark)...])
            target = String(target[..<mark])
        }
        self.init(host: host, port: port, path: target.isEmpty ? "/" : target, query: query)
    }

    /// Path and query as sent on the request line.
    public var requestTarget: String {
        guard let query else { return path }
        return path + "?" + query
    }

    /// The `Host` header value.
    public var hostHeader: String { port == 80 ? host : "\(host):\(port)" }

    public var description: String { "ws://\(hostHeader)\(requestTarget)" }

    /// A copy whose query has `name=value` appended unless a parameter called `name` is already there.
    public func addingQueryParameter(_ name: String, _ value: String) -> WebSocketURL {
        if queryParameter(name) != nil { return self }
        var copy = self
        let pair = name + "=" + value
        copy.query = (query?.isEmpty ?? true) ? pair : query! + "&" + pair
        return copy
    }

    /// The raw (still percent-encoded) value of the first query parameter called `name`.
    public func queryParameter(_ name: String) -> String? {
        guard let query else { return nil }
        // Split on the bytes `&` and `=`, not on `Character`s (grapheme breaking over a few hundred bytes of token).
        for pair in query.utf8.split(separator: UInt8(ascii: "&")) {
            let equals = pair.firstIndex(of: UInt8(ascii: "="))
            guard pair[..<(equals ?? pair.endIndex)].elementsEqual(name.utf8) else { continue }
            return equals.map { String(Substring(pair[pair.index(after: $0)...])) } ?? ""
        }
        return nil
    }

    private static func splitAuthority(_ authority: String, url: String) throws -> (String, Int) {
        guard !authority.isEmpty else { throw WebSocketClientError.invalidURL(url, reason: "no host") }
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw WebSocketClientError.invalidURL(url, reason: "unterminated IPv6 address")
            }
            let host = String(authority[authority.index(after: authority.startIndex)..<close])
            let tail = authority[authority.index(after: close)...]
            return (host, try parsePort(tail.hasPrefix(":") ? String(tail.dropFirst()) : nil, url: url))
        }
        let parts = authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        return (String(parts[0]), try parsePort(parts.count > 1 ? String(parts[1]) : nil, url: url))
    }

    private static func parsePort(_ text: String?, url: String) throws -> Int {
        guard let text else { return 80 }
        guard let port = Int(text), (1...65535).contains(port) else {
            throw WebSocketClientError.invalidURL(url, reason: "bad port \(text)")
        }
        return port
    }
}
