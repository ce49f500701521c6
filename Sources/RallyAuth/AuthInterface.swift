// INTERFACE CONTRACT (temporary file, split into real files by the auth work).
import Foundation

/// Verified identity from a JWT.
public struct Identity: Sendable, Equatable {
    public enum Role: String, Sendable { case anon, authenticated, serviceRole = "service_role" }
    public var role: Role            // unknown role strings map to .authenticated only if `sub` is present, else .anon
    public var rawRole: String
    public var subject: String?      // `sub` (user uuid)
    public var expiresAt: Date       // `exp`
    public init(role: Role, rawRole: String, subject: String?, expiresAt: Date) {
        self.role = role; self.rawRole = rawRole; self.subject = subject; self.expiresAt = expiresAt
    }
}

/// Why a token was refused, with Supabase's wording.
public enum AuthFailure: Error, Sendable, Equatable {
    case missingToken                  // 401 "API key is missing"
    case expired(secondsAgo: Int)      // 401 "Token has expired" / join: "InvalidJWTToken: Token has expired N seconds ago"
    case missingClaims                 // 401 "Fields `role` and `exp` are required in JWT"
    case malformed                     // 401 "The token provided is not a valid JWT"
    case badSignature                  // 401 "Failed to validate JWT signature"
    case signerError                   // 401 "Failed to generate JWT signer, check your JWT secret or JWKS configuration"

    public var httpStatus: Int { fatalError("auth work") }
    /// The `{"error": <message>}` text at connect.
    public var connectMessage: String { fatalError("auth work") }
    /// The phx_join error reason, `Code: message`.
    public var joinReason: String { fatalError("auth work") }
    /// The `system` error message text used when a token fails during the session.
    public var channelMessage: String { fatalError("auth work") }
}

public struct AuthConfiguration: Sendable {
    /// HS256/384/512 shared secret (RALLY_JWT_SECRET).
    public var jwtSecret: String?
    /// Path of a JWKS JSON file for RS*/ES* (and HS with kid) keys (RALLY_JWT_JWKS).
    public var jwksPath: String?
    public init(jwtSecret: String?, jwksPath: String?) { self.jwtSecret = jwtSecret; self.jwksPath = jwksPath }
}

/// Verifies tokens. Thread-safe; `verify` may be called from any event loop.
public final class TokenVerifier: Sendable {
    public init(configuration: AuthConfiguration) async throws { fatalError("auth work") }
    /// The token is URL-decoded and whitespace-trimmed first. `now` is injectable for tests.
    public func verify(_ token: String?, now: Date) async -> Result<Identity, AuthFailure> { fatalError("auth work") }
    /// Sign claims with the HS256 secret (demo tokens in embedded mode; tests).
    public func signHS256(subject: String?, role: String, expiresAt: Date) async throws -> String { fatalError("auth work") }
}
