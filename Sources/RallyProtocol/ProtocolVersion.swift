/// The serializer a socket negotiated with `vsn`.
public enum ProtocolVersion: Sendable, Hashable {
    case v1   // 1.0.0: JSON objects {topic, event, payload, ref, join_ref}
    case v2   // 2.0.0: JSON arrays [join_ref, ref, topic, event, payload] + binary kinds 3/4

    /// `nil`/absent → v1; "1.0.x" → v1; "2.0.x" → v2; anything else → nil (refuse the socket).
    ///
    /// Phoenix matches the parsed version against `~> 1.0.0` / `~> 2.0.0`, so any patch level of
    /// 1.0 or 2.0 is accepted; other minors, partial versions ("2.0") and pre-releases are refused.
    public static func negotiate(vsn: String?) -> ProtocolVersion? {
        guard let vsn else { return .v1 }
        guard let (major, minor) = majorMinor(of: vsn), minor == 0 else { return nil }
        switch major {
        case 1: return .v1
        case 2: return .v2
        default: return nil
        }
    }

    /// The value clients send in the `vsn` query parameter.
    public var vsn: String {
        switch self {
        case .v1: return "1.0.0"
        case .v2: return "2.0.0"
        }
    }

    /// Parses a strict semantic version `MAJOR.MINOR.PATCH` (no leading zeros, no suffixes).
    private static func majorMinor(of version: String) -> (Int, Int)? {
        let parts = version.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy(isVersionNumber) else { return nil }
        guard let major = Int(parts[0]), let minor = Int(parts[1]) else { return nil }
        return (major, minor)
    }

    private static func isVersionNumber(_ part: Substring) -> Bool {
        guard !part.isEmpty, part.count <= 9, part.utf8.allSatisfy({ $0 >= ASCII.zero && $0 <= ASCII.nine }) else {
            return false
        }
        return part == "0" || part.first != "0"
    }
}
