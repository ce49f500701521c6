// The two outcomes of `TokenVerifier.verify`: an `Identity`, or an `AuthFailure` worded as
// Supabase Realtime words it.
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

extension Identity.Role {
    /// Maps a token's `role` claim: the three Supabase roles by name; any other role (a custom
    /// Postgres role) counts as `.authenticated` when the token names a subject (a non-empty
    /// `sub`), else `.anon`.
    public init(claimedRole: String, subject: String?) {
        if let known = Identity.Role(rawValue: claimedRole) {
            self = known
        } else {
            self = (subject?.isEmpty ?? true) ? .anon : .authenticated
        }
    }
}

/// The claims Rally reads from a token whose signature has been verified.
///
/// Each field is decoded leniently: a claim of the wrong JSON type reads as absent, so that the
/// "required claims" rule, not the JSON decoder, decides the outcome.
struct TokenClaims: Decodable, Sendable, Equatable {
    /// `exp`, seconds since 1970; JSON numbers may carry a fraction.
    var expiration: Double?
    /// `role`.
    var role: String?
    /// `sub`; an empty string reads as absent.
    var subject: String?
    /// `nbf`, seconds since 1970 (RFC 7519 §4.1.5).
    var notBefore: Double?
    /// `aud`: one string or an array of strings.
    var audience: [String]?
    /// `iss`.
    var issuer: String?

    private enum CodingKeys: String, CodingKey { case exp, role, sub, nbf, aud, iss }

    init(expiration: Double?, role: String?, subject: String?, notBefore: Double? = nil, audience: [String]? = nil,
         issuer: String? = nil) {
        self.expiration = expiration; self.role = role; self.subject = subject
        self.notBefore = notBefore; self.audience = audience; self.issuer = issuer
    }

    /// Throws only when the payload is not a JSON object.
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        expiration = container.lenient(Double.self, forKey: .exp)
        role = container.lenient(String.self, forKey: .role)
        subject = container.lenient(String.self, forKey: .sub).flatMap { $0.isEmpty ? nil : $0 }
        notBefore = container.lenient(Double.self, forKey: .nbf)
        audience = container.lenient(String.self, forKey: .aud).map { [$0] }
            ?? container.lenient([String].self, forKey: .aud)
        issuer = container.lenient(String.self, forKey: .iss)
    }

    /// Applies Supabase's claim rules at `now`, in its order: `exp` must be a number, then in the
    /// future (an expired token is reported as expired even if `role` is also missing), then `role`
    /// must be present. Then `nbf` (no leeway, as for `exp`), and `aud`/`iss` when `rules` name them.
    func identity(at now: Date, rules: ClaimRules = ClaimRules()) -> Result<Identity, AuthFailure> {
        guard let expiration, expiration.isFinite else { return .failure(.missingClaims) }
        // Joken compares against whole seconds: valid while `exp > floor(now)`.
        let nowSeconds = now.timeIntervalSince1970.rounded(.down)
        if expiration <= nowSeconds {
            return .failure(.expired(secondsAgo: Self.wholeSeconds(nowSeconds - expiration.rounded())))
        }
        guard let role else { return .failure(.missingClaims) }
        if let notBefore, !(notBefore <= nowSeconds) { return .failure(.notYetValid) }
        if let wanted = rules.audience, !(audience ?? []).contains(wanted) { return .failure(.wrongAudience) }
        if let wanted = rules.issuer, issuer != wanted { return .failure(.wrongIssuer) }
        return .success(Identity(
            role: Identity.Role(claimedRole: role, subject: subject),
            rawRole: role,
            subject: subject,
            expiresAt: Date(timeIntervalSince1970: expiration)))
    }

    /// A non-negative whole number of seconds, clamped so absurd `exp` values cannot trap.
    static func wholeSeconds(_ interval: Double) -> Int {
        let limit = 1e15
        return Int(min(max(interval, 0), limit))
    }
}

/// Claims checked only when configured: the audience a token must name and the issuer it must carry.
public struct ClaimRules: Sendable, Equatable {
    public var audience: String?
    public var issuer: String?
    public init(audience: String? = nil, issuer: String? = nil) { self.audience = audience; self.issuer = issuer }
}

extension KeyedDecodingContainer {
    /// The value for `key` when present and of type `T`; nil otherwise (never throws).
    func lenient<T: Decodable>(_ type: T.Type, forKey key: Key) -> T? {
        guard let value = try? decodeIfPresent(type, forKey: key) else { return nil }
        return value
    }
}

// Wording from `lib/realtime_web/channels/user_socket.ex` (connect) and `realtime_channel.ex` (joins).

/// Why a token was refused, with Supabase's wording.
///
/// Three surfaces use the text:
/// - connect: the HTTP upgrade is answered with `httpStatus` and `{"error": connectMessage}`;
/// - `phx_join`: the error reply's `reason` is `joinReason` (`Code: message`);
/// - during a session (`access_token` refresh): the `system` error message is `channelMessage`.
public enum AuthFailure: Error, Sendable, Equatable {
    /// No token, or only whitespace. Supabase: `missing_api_key`.
    case missingToken
    /// `exp` is not in the future; `secondsAgo` is whole seconds since expiry (never negative).
    case expired(secondsAgo: Int)
    /// `role` or `exp` is absent, or has the wrong JSON type.
    case missingClaims
    /// Not a compact JWS: wrong number of segments, bad base64url, or header/claims that are not JSON objects.
    case malformed
    /// A key was found for the token but the signature does not verify with it.
    case badSignature
    /// No key can verify this token: unknown or refused `alg` (including `none`), unknown `kid`,
    /// or an HS* token while no secret is configured.
    case signerError
    /// `nbf` is in the future.
    case notYetValid
    /// `aud` does not name the configured audience (RALLY_JWT_AUDIENCE).
    case wrongAudience
    /// `iss` is not the configured issuer (RALLY_JWT_ISSUER).
    case wrongIssuer

    /// The HTTP status of a refused upgrade. Every token failure is 401 in Supabase.
    public var httpStatus: Int { 401 }

    /// The `{"error": <message>}` text at connect.
    public var connectMessage: String {
        switch self {
        case .missingToken: return "API key is missing"
        case .expired: return "Token has expired"
        case .missingClaims: return Self.missingClaimsMessage
        case .malformed: return Self.malformedMessage
        case .badSignature: return Self.badSignatureMessage
        case .signerError: return Self.signerErrorMessage
        case .notYetValid: return "Token is not valid yet"
        case .wrongAudience: return "Token audience is not accepted"
        case .wrongIssuer: return "Token issuer is not accepted"
        }
    }

    /// The code before the colon in `joinReason` (Supabase's join error codes).
    public var joinCode: String {
        switch self {
        case .missingToken, .expired, .missingClaims, .notYetValid, .wrongAudience, .wrongIssuer:
            return "InvalidJWTToken"
        case .malformed: return "MalformedJWT"
        case .badSignature: return "JwtSignatureError"
        case .signerError: return "JwtSignerError"
        }
    }

    /// The phx_join error reason, `Code: message`.
    ///
    /// Supabase never reports a missing token at join (the connect token is used instead);
    /// Rally answers `InvalidJWTToken: API key is missing` for that case.
    public var joinReason: String { "\(joinCode): \(channelMessage)" }

    /// The `system` error message text used when a token fails during the session:
    /// the join reason without its code prefix.
    public var channelMessage: String {
        switch self {
        case .expired(let secondsAgo): return "Token has expired \(secondsAgo) seconds ago"
        default: return connectMessage
        }
    }

    static let missingClaimsMessage = "Fields `role` and `exp` are required in JWT"
    static let malformedMessage = "The token provided is not a valid JWT"
    static let badSignatureMessage = "Failed to validate JWT signature"
    static let signerErrorMessage =
        "Failed to generate JWT signer, check your JWT secret or JWKS configuration"
}

extension AuthFailure: CustomStringConvertible {
    public var description: String { joinReason }
}
