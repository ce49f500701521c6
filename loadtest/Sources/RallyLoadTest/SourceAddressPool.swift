import Foundation

/// The loopback source addresses connections are spread over (round robin by connection index).
struct SourceAddressPool: Sendable {
    let addresses: [String]

    /// Accepts a count ("4" → 127.0.0.1…127.0.0.4), a range ("127.0.0.2-127.0.0.9") or a comma list.
    init(parsing text: String) throws {
        if let count = Int(text) {
            guard (1...250).contains(count) else { throw LoadTestError("--source-addresses count must be 1…250") }
            addresses = (1...count).map { "127.0.0.\($0)" }
        } else if text.contains("-") {
            let ends = text.split(separator: "-").map(String.init)
            guard ends.count == 2, let first = Self.lastOctet(ends[0]), let last = Self.lastOctet(ends[1]),
                first <= last, Self.prefix(ends[0]) == Self.prefix(ends[1])
            else { throw LoadTestError("bad --source-addresses range \(text)") }
            addresses = (first...last).map { "\(Self.prefix(ends[0])).\($0)" }
        } else {
            addresses = text.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        }
        guard !addresses.isEmpty else { throw LoadTestError("--source-addresses is empty") }
        for address in addresses where !address.hasPrefix("127.") {
            throw LoadTestError("source address \(address) is not loopback; this tool runs on loopback only")
        }
    }

    /// The address for the connection with this global index; nil when only the default is in use
    /// (binding 127.0.0.1 explicitly would gain nothing).
    func address(for index: Int) -> String? {
        if addresses == ["127.0.0.1"] { return nil }
        return addresses[index % addresses.count]
    }

    private static func lastOctet(_ address: String) -> Int? {
        address.split(separator: ".").last.flatMap { Int($0) }
    }

    private static func prefix(_ address: String) -> String {
        address.split(separator: ".").dropLast().joined(separator: ".")
    }
}
