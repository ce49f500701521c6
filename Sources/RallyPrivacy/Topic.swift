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
        guard let colon = subtopic.firstIndex(of: ":") else {
            return .success(.freeForm(subtopic))
        }
        let prefix = subtopic[..<colon]
        guard let kind = TopicKind.identified.first(where: { $0.rawValue == prefix.lowercased() }) else {
            return .success(.freeForm(subtopic))
        }
        let rest = subtopic[subtopic.index(after: colon)...]
        guard prefix == kind.rawValue, isCanonicalUUID(rest), let id = UUID(uuidString: String(rest)),
              let topic = make(kind, id) else {
            return .failure(MalformedTopic(subtopic: subtopic, kind: kind))
        }
        return .success(topic)
    }

    /// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` with lowercase hex digits only.
    public static func isCanonicalUUID<S: StringProtocol>(_ text: S) -> Bool {
        let utf8 = Array(text.utf8)
        guard utf8.count == 36 else { return false }
        for (index, byte) in utf8.enumerated() {
            if [8, 13, 18, 23].contains(index) {
                guard byte == UInt8(ascii: "-") else { return false }
            } else if !isLowercaseHexDigit(byte) {
                return false
            }
        }
        return true
    }

    private static func isLowercaseHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }
}
