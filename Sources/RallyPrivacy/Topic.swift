import Foundation

/// The kinds of topic of SPEC §2 (the part of a topic after `realtime:`).
public enum TopicKind: String, Sendable, Hashable, CaseIterable {
    case event
    case group
    case plan
    case feed
    case profile
    case user
    /// Live positions shared with a plan's participants (docs/live-data.md, "Location sharing").
    case locationPlan = "location:plan"
    /// Live positions one person shares with their accepted friends.
    case locationFriends = "location:friends"
    case freeForm = "free-form"

    /// The kinds whose topic is `<kind>:<lowercase uuid>`.
    public static let identified: [TopicKind] = [.event, .group, .plan, .feed, .profile, .user, .locationPlan,
                                                 .locationFriends]

    /// The first segment of the location kinds: a subtopic starting with it (in any letter case) must be one of
    /// them exactly.
    static let locationFamily = "location"
}

/// A parsed subtopic. Identified kinds carry the uuid; every other name is a free-form room.
public enum Topic: Sendable, Hashable {
    case event(UUID)
    case group(UUID)
    case plan(UUID)
    case feed(UUID)
    case profile(UUID)
    case user(UUID)
    case locationPlan(UUID)
    case locationFriends(UUID)
    case freeForm(String)

    public var kind: TopicKind {
        switch self {
        case .event: return .event
        case .group: return .group
        case .plan: return .plan
        case .feed: return .feed
        case .profile: return .profile
        case .user: return .user
        case .locationPlan: return .locationPlan
        case .locationFriends: return .locationFriends
        case .freeForm: return .freeForm
        }
    }

    /// The uuid of an identified topic; nil for free-form rooms.
    public var id: UUID? {
        switch self {
        case .event(let id), .group(let id), .plan(let id), .feed(let id), .profile(let id), .user(let id),
             .locationPlan(let id), .locationFriends(let id):
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
        case .locationPlan: return .locationPlan(id)
        case .locationFriends: return .locationFriends(id)
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
    /// malformed; so no free-form room can pose as an identified topic. Anything else is free-form. The location
    /// kinds have two segments (`location:plan:<uuid>`, `location:friends:<uuid>`): any name whose first segment
    /// is `location` in any letter case must be one of them exactly.
    public static func parse(_ subtopic: String) -> Result<Topic, MalformedTopic> {
        guard let kind = claimedKind(subtopic) else { return .success(.freeForm(subtopic)) }
        let utf8 = subtopic.utf8
        guard utf8.starts(with: kind.rawValue.utf8), utf8.count > kind.rawValue.utf8.count,
              utf8[utf8.index(utf8.startIndex, offsetBy: kind.rawValue.utf8.count)] == UInt8(ascii: ":") else {
            return .failure(MalformedTopic(subtopic: subtopic, kind: kind))
        }
        let rest = utf8[utf8.index(utf8.startIndex, offsetBy: kind.rawValue.utf8.count + 1)...]
        let id = rest.withContiguousStorageIfAvailable { canonicalUUID($0) } ?? canonicalUUID(Array(rest))
        guard let id, let topic = make(kind, id) else {
            return .failure(MalformedTopic(subtopic: subtopic, kind: kind))
        }
        return .success(topic)
    }

    /// The kind a subtopic claims by its first segment in any letter case (nil: a free-form name). Under
    /// `location` the second segment picks the kind when it is exact; otherwise the claim is `location:plan`,
    /// and the name is malformed.
    private static func claimedKind(_ subtopic: String) -> TopicKind? {
        guard let colon = subtopic.utf8.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        let prefix = subtopic.utf8[..<colon]
        if equalsIgnoringASCIICase(prefix, TopicKind.locationFamily) {
            return subtopic.utf8.starts(with: TopicKind.locationFriends.rawValue.utf8) ? .locationFriends
                : .locationPlan
        }
        return TopicKind.identified.first { equalsIgnoringASCIICase(prefix, $0.rawValue) }
    }

    /// The kind a subtopic names, from its prefix alone (no UUID decoded): `.freeForm` when the prefix is no kind.
    /// A subtopic with a kind's exact prefix may still be malformed; `parse` decides that.
    public static func kind(ofSubtopic subtopic: String) -> TopicKind {
        guard let colon = subtopic.utf8.firstIndex(of: UInt8(ascii: ":")) else { return .freeForm }
        let prefix = subtopic.utf8[..<colon]
        if prefix.elementsEqual(TopicKind.locationFamily.utf8) {
            for kind in [TopicKind.locationPlan, .locationFriends]
            where subtopic.utf8.starts(with: kind.rawValue.utf8 + [UInt8(ascii: ":")]) {
                return kind
            }
            return .freeForm
        }
        return TopicKind.identified.first { prefix.elementsEqual($0.rawValue.utf8) } ?? .freeForm
    }

    /// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` with lowercase hex digits only.
    public static func isCanonicalUUID<S: StringProtocol>(_ text: S) -> Bool {
        canonicalUUID(text.utf8) != nil
    }

    /// The UUID written in `bytes` in canonical form (lowercase, 8-4-4-4-12), decoded in one pass (`UUIDText`).
    static func canonicalUUID<Bytes: Collection>(_ bytes: Bytes) -> UUID? where Bytes.Element == UInt8 {
        UUIDText.parse(bytes: bytes, lowercaseOnly: true)
    }

    private static func equalsIgnoringASCIICase(_ bytes: Substring.UTF8View, _ lowercase: String) -> Bool {
        bytes.elementsEqual(lowercase.utf8) { byte, expected in
            (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte) == expected
        }
    }
}
