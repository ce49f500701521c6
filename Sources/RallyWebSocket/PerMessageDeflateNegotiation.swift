// permessage-deflate negotiation (RFC 7692 §5 and §7.1): parse every offer in the client's
// Sec-WebSocket-Extensions, accept the first acceptable one, and build the response value.

/// Negotiated permessage-deflate parameters (RFC 7692) of one session; also the key under which a
/// shared frame's compressed bytes are cached.
///
/// Rally always answers with `server_no_context_takeover`, so every server message is compressed on
/// its own and the same compressed bytes can be written to every session that agreed on the same
/// `serverMaxWindowBits`.
public struct DeflateParameters: Sendable, Hashable {
    public var serverNoContextTakeover: Bool
    public var clientNoContextTakeover: Bool
    public var serverMaxWindowBits: Int
    public var clientMaxWindowBits: Int

    public init(
        serverNoContextTakeover: Bool = true,
        clientNoContextTakeover: Bool = false,
        serverMaxWindowBits: Int = 15,
        clientMaxWindowBits: Int = 15
    ) {
        self.serverNoContextTakeover = serverNoContextTakeover
        self.clientNoContextTakeover = clientNoContextTakeover
        self.serverMaxWindowBits = serverMaxWindowBits
        self.clientMaxWindowBits = clientMaxWindowBits
    }
}

/// One extension from a `Sec-WebSocket-Extensions` header: its name and `name[=value]` parameters.
struct ExtensionOffer: Equatable {
    struct Parameter: Equatable {
        var name: String
        var value: String?
    }
    var name: String
    var parameters: [Parameter]

    /// Parses every header line, in order (`a; p=1, b` → two offers). Quoted values are unquoted.
    static func parse(headerValues: [String]) -> [ExtensionOffer] {
        headerValues.flatMap { $0.split(separator: ",") }.compactMap { element in
            let parts = element.split(separator: ";", omittingEmptySubsequences: false).map(trimmed)
            guard let name = parts.first, !name.isEmpty else { return nil }
            let parameters = parts.dropFirst().map { part -> Parameter in
                guard let equals = part.firstIndex(of: "=") else { return Parameter(name: part, value: nil) }
                let value = trimmed(part[part.index(after: equals)...])
                return Parameter(name: trimmed(part[..<equals]), value: unquoted(value))
            }
            return ExtensionOffer(name: name.lowercased(), parameters: parameters)
        }
    }

    private static func trimmed<S: StringProtocol>(_ text: S) -> String {
        String(text.drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }

    private static func unquoted(_ text: String) -> String {
        guard text.count >= 2, text.first == "\"", text.last == "\"" else { return text }
        return String(text.dropFirst().dropLast())
    }
}

/// The outcome of negotiating permessage-deflate for one upgrade request.
struct DeflateAgreement: Equatable {
    var parameters: DeflateParameters
    /// The `Sec-WebSocket-Extensions` value for the 101 response.
    var responseHeaderValue: String
}

enum PerMessageDeflateNegotiator {
    static let extensionName = "permessage-deflate"

    /// Accepts the first acceptable permessage-deflate offer, or nil if none is.
    /// - Parameter requireClientNoContextTakeover: also ask the client not to keep its window (saves
    ///   the per-session inflater's memory at some compression cost).
    static func negotiate(headerValues: [String], requireClientNoContextTakeover: Bool = false) -> DeflateAgreement? {
        for offer in ExtensionOffer.parse(headerValues: headerValues) where offer.name == extensionName {
            if let agreement = accept(offer, requireClientNoContextTakeover: requireClientNoContextTakeover) {
                return agreement
            }
        }
        return nil
    }

    /// The agreement for one offer, or nil when it has unknown, duplicate or invalid parameters.
    static func accept(_ offer: ExtensionOffer, requireClientNoContextTakeover: Bool) -> DeflateAgreement? {
        var seen = Set<String>()
        var parameters = DeflateParameters(clientNoContextTakeover: requireClientNoContextTakeover)
        var offeredServerBits: Int? = nil
        var offeredClientBits: Int? = nil
        for parameter in offer.parameters {
            let name = parameter.name.lowercased()
            guard seen.insert(name).inserted else { return nil }
            switch name {
            case "server_no_context_takeover":
                guard parameter.value == nil else { return nil }
            case "client_no_context_takeover":
                guard parameter.value == nil else { return nil }
                parameters.clientNoContextTakeover = true
            case "server_max_window_bits":
                guard let bits = parameter.value.flatMap(windowBits) else { return nil }
                offeredServerBits = bits
                parameters.serverMaxWindowBits = bits
            case "client_max_window_bits":
                if let value = parameter.value {
                    guard let bits = windowBits(value) else { return nil }
                    offeredClientBits = bits
                    parameters.clientMaxWindowBits = bits
                }
            default:
                return nil
            }
        }
        var response = [extensionName, "server_no_context_takeover"]
        if parameters.clientNoContextTakeover { response.append("client_no_context_takeover") }
        if let bits = offeredServerBits { response.append("server_max_window_bits=\(bits)") }
        if let bits = offeredClientBits { response.append("client_max_window_bits=\(bits)") }
        return DeflateAgreement(parameters: parameters, responseHeaderValue: response.joined(separator: "; "))
    }

    /// A window-bits value: decimal 8...15 without a leading zero.
    private static func windowBits(_ text: String) -> Int? {
        guard !text.hasPrefix("0"), text.count <= 2, text.allSatisfy(\.isASCIIDigit), let bits = Int(text),
            (8...15).contains(bits)
        else { return nil }
        return bits
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { self >= "0" && self <= "9" }
}
