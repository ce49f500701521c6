import Foundation
import NIOHTTP1
import RallyAuth
import RallyWebSocket

/// Who may use the admin dashboard (README "Admin dashboard"). Production serves it only when `RALLY_ADMIN_TOKEN`
/// is set; embedded mode always does. Either way every data path needs `Authorization: Bearer <credential>`:
/// the configured admin token, or a valid `service_role` token. Pure decision, no I/O.
struct AdminAccess: Sendable {
    enum Decision: Equatable, Sendable {
        /// Not served on this node (production without an admin token): answered 404, as an unknown path.
        case disabled
        /// The admin token: full access; the inspector gets a `service_role` token minted by the node.
        case adminToken
        /// A valid `service_role` token (carried, for the inspector's socket).
        case serviceRole(String)
        /// No credential, or one that is neither the admin token nor a valid token: 401.
        case unauthorized
        /// A valid token of another role (`authenticated`, `anon`): 403.
        case forbidden
    }

    let adminToken: String?
    let isServed: Bool
    let verify: @Sendable (String) -> Result<Identity, AuthFailure>

    init(mode: RallyConfiguration.Mode, adminToken: String?,
         verify: @escaping @Sendable (String) -> Result<Identity, AuthFailure>) {
        self.adminToken = adminToken
        self.isServed = mode == .embedded || adminToken != nil
        self.verify = verify
    }

    func decide(_ headers: HTTPHeaders) -> Decision {
        guard isServed else { return .disabled }
        guard let presented = Self.bearer(in: headers) else { return .unauthorized }
        if let adminToken, MetricsEndpoint.constantTimeEqual(Array(presented.utf8), Array(adminToken.utf8)) {
            return .adminToken
        }
        switch verify(presented) {
        case .success(let identity) where identity.role == .serviceRole: return .serviceRole(presented)
        case .success: return .forbidden
        case .failure: return .unauthorized
        }
    }

    static func bearer(in headers: HTTPHeaders) -> String? {
        guard let value = headers.first(name: "authorization"), value.lowercased().hasPrefix("bearer ") else {
            return nil
        }
        let token = value.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }
}
