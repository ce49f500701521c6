import Foundation

/// The kinds of topic of SPEC §2 (the part of a topic after `realtime:`).
public enum TopicKind: String, Sendable, Hashable, CaseIterable {
    case event
    case group
    case plan
    case feed
    case profile
    case user
    case freeForm = "free-form"

    /// The kinds whose topic is `<kind>:<lowercase uuid>`.
    public static let identified: [TopicKind] = [.event, .group, .plan, .feed, .profile, .user]
}

/// A parsed subtopic. Identified kinds carry the uuid; every other name is a free-form room.
public enum Topic: Sendable, Hashable {
    case event(UUID)
    case group(UUID)
    case plan(UUID)
    case feed(UUID)
    case profile(UUID)
    case user(UUID)
    case freeForm(String)

    public var kind: TopicKind {
        switch self {
        case .event: return .event
        case .group: return .group
        case .plan: return .plan
        case .feed: return .feed
        case .profile: return .profile
        case .user: return .user
        case .freeForm: return .freeForm
        }
    }

    /// The uuid of an identified topic; nil for free-form rooms.
    public var id: UUID? {
        switch self {
        case .event(let id), .group(let id), .plan(let id), .feed(let id), .profile(let id), .user(let id):
            return id
        case .freeForm:
            return nil
        }
    }

    /// The canonical subtopic string, e.g. `event:0b7e…` (ids in lowercase).
    public var subtopic: String {
        guard let id else {
            if case .freeForm(let name) = self { return name }
            return ""
        }
        return "\(kind.rawValue):\(id.uuidString.lowercased())"
    }

    static func make(_ kind: TopicKind, _ id: UUID) -> Topic? {
        switch kind {
        case .event: return .event(id)
        case .group: return .group(id)
        case .plan: return .plan(id)
        case .feed: return .feed(id)
        case .profile: return .profile(id)
        case .user: return .user(id)
        case .freeForm: return nil
        }
    }
}

/// Why a subtopic that claims an identified kind was refused.
public struct MalformedTopic: Error, Sendable, Hashable, CustomStringConvertible {
    public var subtopic: String
    public var kind: TopicKind

    public var description: String {
        "malformed topic \"\(subtopic)\": expected \(kind.rawValue):<uuid> with the kind and the uuid in lowercase"
    }
}

extension Topic {
    /// Parses a subtopic strictly. A name whose prefix before the first `:` equals a kind in any letter case
    /// (`event`, `Event`, …) must be exactly `<kind>:<uuid>` in lowercase (8-4-4-4-12 hex digits), or it is
    /// malformed; so no free-form room can pose as an identified topic. Anything else is free-form.
    public static func parse(_ subtopic: String) -> Result<Topic, MalformedTopic> {
        guard let colon = subtopic.utf8.firstIndex(of: UInt8(ascii: ":")) else {
            return .success(.freeForm(subtopic))
        }
        let prefix = subtopic.utf8[..<colon]
        guard let kind = TopicKind.identified.first(where: { equalsIgnoringASCIICase(prefix, $0.rawValue) }) else {
            return .success(.freeForm(subtopic))
        }
        let rest = subtopic.utf8[subtopic.utf8.index(after: colon)...]
        let id = rest.withContiguousStorageIfAvailable { canonicalUUID($0) } ?? canonicalUUID(Array(rest))
        guard prefix.elementsEqual(kind.rawValue.utf8), let id, let topic = make(kind, id) else {
            return .failure(MalformedTopic(subtopic: subtopic, kind: kind))
        }
        return .success(topic)
    }

    /// The kind a subtopic names, from its prefix alone (no UUID decoded): `.freeForm` when the prefix is no kind.
    /// A subtopic with a kind's exact prefix may still be malformed; `parse` decides that.
    public static func kind(ofSubtopic subtopic: String) -> TopicKind {
        guard let colon = subtopic.utf8.firstIndex(of: UInt8(ascii: ":")) else { return .freeForm }
        let prefix = subtopic.utf8[..<colon]
        return TopicKind.identified.first { prefix.elementsEqual($0.rawValue.utf8) } ?? .freeForm
    }

    /// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` with lowercase hex digits only.
    public static func isCanonicalUUID<S: StringProtocol>(_ text: S) -> Bool {
        canonicalUUID(text.utf8) != nil
    }

    /// The UUID written in `bytes` in canonical form (lowercase, 8-4-4-4-12), decoded in one pass: topic names
    /// are parsed on every join and, for every open channel, on every change that may revoke access, so this
    /// avoids Foundation's `UUID(uuidString:)` (which goes through `sscanf`).
    static func canonicalUUID<Bytes: Collection>(_ bytes: Bytes) -> UUID? where Bytes.Element == UInt8 {
        guard bytes.count == 36 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        var nibbles = 0
        for (offset, byte) in bytes.enumerated() {
            if offset == 8 || offset == 13 || offset == 18 || offset == 23 {
                guard byte == UInt8(ascii: "-") else { return nil }
                continue
            }
            guard let value = lowercaseHexValue(byte) else { return nil }
            if nibbles < 16 { high = high << 4 | UInt64(value) } else { low = low << 4 | UInt64(value) }
            nibbles += 1
        }
        func byte(_ half: UInt64, _ index: Int) -> UInt8 { UInt8(truncatingIfNeeded: half >> (56 - 8 * index)) }
        return UUID(uuid: (byte(high, 0), byte(high, 1), byte(high, 2), byte(high, 3), byte(high, 4), byte(high, 5),
                           byte(high, 6), byte(high, 7), byte(low, 0), byte(low, 1), byte(low, 2), byte(low, 3),
                           byte(low, 4), byte(low, 5), byte(low, 6), byte(low, 7)))
    }

    private static func lowercaseHexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        default: return nil
        }
    }

    private static func equalsIgnoringASCIICase(_ bytes: Substring.UTF8View, _ lowercase: String) -> Bool {
        bytes.elementsEqual(lowercase.utf8) { byte, expected in
            (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte) == expected
        }
    }
}
