import Foundation

/// The JWT `role` claim, Supabase's convention.
public enum ViewerRole: String, Sendable, Hashable, CaseIterable {
    case anon
    case authenticated
    case serviceRole = "service_role"
}

/// Who is asking: the role and, for signed-in users, the `sub` claim as a uuid.
/// A signed-in viewer whose `sub` is not a uuid has `userID == nil` and is treated as a stranger to everyone.
public struct ViewerIdentity: Sendable, Hashable {
    public var role: ViewerRole
    public var userID: UUID?

    public init(role: ViewerRole, userID: UUID?) {
        self.role = role
        self.userID = role == .anon ? nil : userID
    }

    /// Builds an identity from JWT claims: `sub` must be a uuid (any case) to count as a user id.
    public init(role: ViewerRole, subject: String?) {
        self.init(role: role, userID: subject.flatMap(UUIDText.parse))
    }

    public static let anonymous = ViewerIdentity(role: .anon, userID: nil)

    public static func signedIn(_ userID: UUID) -> ViewerIdentity {
        ViewerIdentity(role: .authenticated, userID: userID)
    }

    public static func service(_ userID: UUID? = nil) -> ViewerIdentity {
        ViewerIdentity(role: .serviceRole, userID: userID)
    }

    public var isService: Bool { role == .serviceRole }
    public var isSignedIn: Bool { role != .anon }

    /// Whether this viewer is the user `id` (and signed in).
    public func isUser(_ id: UUID) -> Bool {
        isSignedIn && userID == id
    }
}
