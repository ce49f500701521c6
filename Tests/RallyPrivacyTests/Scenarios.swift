import Foundation
import RallyPrivacy

/// Turns the row and column labels of docs/privacy.md into viewers, topics and facts. An unknown label is an
/// error, so a table cannot silently test less than it shows.
enum Scenarios {
    static let viewerID = UUID(uuidString: "0d4c7c3e-5d1a-4f63-9a57-3f2d4c1b0a01")!
    static let otherID = UUID(uuidString: "6a1f0e2b-8c44-4d2e-b7a9-1e5f3c2d4b02")!
    static let objectID = UUID(uuidString: "9b3e5d71-2a6c-4f8e-8d15-7c4a2b1e6f03")!

    struct UnknownLabel: Error, CustomStringConvertible {
        var table: String
        var label: String
        var description: String { "table \(table): no scenario for label \"\(label)\"" }
    }

    /// `other` stands for whoever the row is relative to: creator, owner, actor, author.
    static func normalized(_ label: String) -> String {
        ["creator", "owner", "actor", "author"].reduce(label) { $0.replacingOccurrences(of: $1, with: "other") }
    }

    /// The relationship a row names, for rows about one other person.
    static let relationships: [String: Relationship] = [
        "self": .oneself,
        "accepted friend": .friend,
        "accepted friend of other": .friend,
        "pending, viewer asked": .pendingOutgoing,
        "pending, other asked": .pendingIncoming,
        "viewer blocked other": .blocking,
        "other blocked viewer": .blockedBy,
        "stranger": .stranger,
    ]

    static func relationship(_ label: String, table: String) throws -> Relationship {
        guard let found = relationships[normalized(label)] else { throw UnknownLabel(table: table, label: label) }
        return found
    }

    static func role(of label: String) -> ViewerRole {
        switch label {
        case "service_role": return .serviceRole
        case let anon where anon.hasPrefix("anon"): return .anon
        default: return .authenticated
        }
    }

    /// The viewer of a row: service_role and anon by name, everyone else signed in as `viewerID`, except `self`
    /// rows, who are the topic's owner.
    static func viewer(_ label: String, ownerID: UUID = otherID) -> ViewerIdentity {
        switch role(of: label) {
        case .serviceRole: return .service(viewerID)
        case .anon: return .anonymous
        case .authenticated: return .signedIn(label == "self" ? ownerID : viewerID)
        }
    }

    static func privacy(_ column: String, table: String) throws -> PrivacyLevel {
        guard let level = PrivacyLevel(rawValue: column) else { throw UnknownLabel(table: table, label: column) }
        return level
    }

    static func visibility(_ column: String, table: String) throws -> ItemVisibility {
        guard let found = ItemVisibility(rawValue: column) else { throw UnknownLabel(table: table, label: column) }
        return found
    }

    static func joinCell(_ cell: String, table: String) throws -> JoinDecision? {
        switch cell {
        case "full": return .allow(.full)
        case "read": return .allow(.readOnly)
        case "share": return .allow(JoinRule.locationSharer)
        case "no": return nil
        default: throw UnknownLabel(table: table, label: cell)
        }
    }

    static func itemCell(_ cell: String, table: String) throws -> Bool {
        switch cell {
        case "yes": return true
        case "no": return false
        default: throw UnknownLabel(table: table, label: cell)
        }
    }
}
