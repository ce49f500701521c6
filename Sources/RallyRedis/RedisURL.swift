/// Where a Redis is and how to log in: `redis://[user[:password]@]host[:port][/db]`, or `rediss://` for TLS.
///
/// User and password are percent-decoded (`%40` for `@`, `%3A` for `:`). `redis://:secret@host` is a password
/// without a user (`AUTH secret`); `redis://user:secret@host` an ACL user (`AUTH user secret`). An IPv6 host is
/// written in brackets: `redis://[::1]:6380`. The port defaults to 6379 and the database to 0. A query or a
/// fragment is refused rather than silently ignored.
public struct RedisURL: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var tls: Bool
    public var username: String?
    public var password: String?
    public var database: Int

    public static let defaultPort = 6379

    public init(host: String, port: Int = RedisURL.defaultPort, tls: Bool = false, username: String? = nil,
                password: String? = nil, database: Int = 0) {
        self.host = host
        self.port = port
        self.tls = tls
        self.username = username
        self.password = password
        self.database = database
    }

    public enum ParseError: Error, Equatable, Sendable {
        case unsupportedScheme(String)
        case missingHost
        case invalidHost(String)
        case invalidPort(String)
        case invalidDatabase(String)
        case invalidPercentEncoding(String)
        case unsupportedQueryOrFragment
    }

    public init(_ text: String) throws {
        let (tls, rest) = try Self.splitScheme(text)
        guard !rest.contains("?"), !rest.contains("#") else { throw ParseError.unsupportedQueryOrFragment }
        let slash = rest.firstIndex(of: "/")
        let authority = String(rest[..<(slash ?? rest.endIndex)])
        let path = slash.map { String(rest[rest.index(after: $0)...]) } ?? ""
        let at = authority.lastIndex(of: "@")
        let hostPort = String(authority[(at.map { authority.index(after: $0) } ?? authority.startIndex)...])
        let (host, port) = try Self.parseHostPort(hostPort)
        self.init(host: host, port: port, tls: tls, database: try Self.parseDatabase(path))
        if let at {
            (username, password) = try Self.parseUserInfo(String(authority[..<at]))
        }
    }

    /// The URL with the password replaced by `***`, for logs.
    public var description: String {
        var userInfo = ""
        if username != nil || password != nil {
            userInfo = (username ?? "") + (password == nil ? "" : ":***") + "@"
        }
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "\(tls ? "rediss" : "redis")://\(userInfo)\(shownHost):\(port)/\(database)"
    }

    private static func splitScheme(_ text: String) throws -> (tls: Bool, rest: Substring) {
        guard let colon = text.firstIndex(of: ":"), text[colon...].hasPrefix("://") else {
            throw ParseError.unsupportedScheme(text)
        }
        let rest = text[text.index(colon, offsetBy: 3)...]
        switch text[..<colon].lowercased() {
        case "redis": return (false, rest)
        case "rediss": return (true, rest)
        case let other: throw ParseError.unsupportedScheme(other)
        }
    }

    private static func parseHostPort(_ text: String) throws -> (String, Int) {
        var host = text
        var portText: String?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw ParseError.invalidHost(text) }
            host = String(text[text.index(after: text.startIndex)..<close])
            let after = text[text.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw ParseError.invalidHost(text) }
                portText = String(after.dropFirst())
            }
        } else if let colon = text.firstIndex(of: ":") {
            host = String(text[..<colon])
            portText = String(text[text.index(after: colon)...])
        }
        guard !host.isEmpty else { throw ParseError.missingHost }
        guard host.allSatisfy(isHostCharacter) else { throw ParseError.invalidHost(host) }
        return (host, try parsePort(portText))
    }

    private static func isHostCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || "-._:%".contains(character))
    }

    private static func parsePort(_ text: String?) throws -> Int {
        guard let text else { return defaultPort }
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }), let port = Int(text),
              (1...65535).contains(port) else {
            throw ParseError.invalidPort(text)
        }
        return port
    }

    private static func parseDatabase(_ path: String) throws -> Int {
        guard !path.isEmpty else { return 0 }
        guard path.allSatisfy({ $0.isASCII && $0.isNumber }), let database = Int(path), database >= 0 else {
            throw ParseError.invalidDatabase(path)
        }
        return database
    }

    private static func parseUserInfo(_ text: String) throws -> (String?, String?) {
        guard let colon = text.firstIndex(of: ":") else {
            return (try nonEmpty(percentDecoded(text)), nil)
        }
        let user = try percentDecoded(String(text[..<colon]))
        let password = try percentDecoded(String(text[text.index(after: colon)...]))
        return (nonEmpty(user), password)
    }

    private static func nonEmpty(_ text: String) -> String? {
        text.isEmpty ? nil : text
    }

    static func percentDecoded(_ text: String) throws -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                throw ParseError.invalidPercentEncoding(text)
            }
            bytes.append(high << 4 | low)
        }
        let decoded = String(decoding: bytes, as: UTF8.self)
        guard decoded.utf8.elementsEqual(bytes) else { throw ParseError.invalidPercentEncoding(text) }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
