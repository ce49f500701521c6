import Foundation
import JWTKit

/// Verifies tokens. Thread-safe; `verify` may be called from any event loop.
///
/// The steps follow Supabase Realtime (`RealtimeWeb.ChannelsAuthorization` and
/// `RealtimeWeb.JwtVerification`), each failing with its own `AuthFailure`:
/// 1. clean the text: percent-decode, drop whitespace; nothing left → `missingToken`;
/// 2. split and decode header and claims → `malformed`;
/// 3. pick the key from `alg`/`kid` (see `SigningKeys`) → `signerError`;
/// 4. check the signature → `badSignature`;
/// 5. check the claims against `now`: `exp` a number → `missingClaims`, in the future →
///    `expired(secondsAgo:)`, `role` present → `missingClaims`; then `nbf` not in the future →
///    `notYetValid`, and `aud`/`iss` as configured → `wrongAudience`/`wrongIssuer`.
/// Steps 2–4 are remembered per token in a bounded cache; step 5 runs on every call.
public final class TokenVerifier: Sendable {
    /// How many verified tokens `init(configuration:)` keeps in its cache.
    public static let defaultCacheCapacity = 4096

    private let keys: SigningKeys
    private let cache: VerifiedTokenCache
    private let rules: ClaimRules
    /// `kid (kty)` of every JWKS key in use, in file order (for the startup log).
    public let loadedKeys: [String]
    /// `kid: reason` for every JWKS key that was left out (for the startup log).
    public let skippedKeys: [String]

    public convenience init(configuration: AuthConfiguration) async throws {
        try await self.init(configuration: configuration, cacheCapacity: Self.defaultCacheCapacity)
    }

    /// A verifier whose cache holds at most `cacheCapacity` tokens (0 turns caching off).
    /// Throws `AuthConfigurationError` when the JWKS file is unreadable or not a JWK set.
    public init(configuration: AuthConfiguration, cacheCapacity: Int) async throws {
        let (keys, report) = try await SigningKeys.load(configuration)
        self.keys = keys
        self.cache = VerifiedTokenCache(capacity: cacheCapacity)
        self.rules = configuration.claimRules
        self.loadedKeys = report.loaded
        self.skippedKeys = report.skipped
    }

    /// Whether HS* tokens without a JWKS `kid` can be verified (and `signHS256` can sign).
    public var hasSecret: Bool { keys.secret != nil }

    /// The token is URL-decoded and whitespace-trimmed first (every whitespace character is
    /// removed, as Supabase's `clean_token` does). `now` is injectable for tests.
    ///
    /// Synchronous: callers on an event loop verify in place. It never blocks on I/O (keys are loaded by
    /// `init`); the only lock is the cache's, held for a dictionary lookup.
    public func verify(_ token: String?, now: Date) -> Result<Identity, AuthFailure> {
        guard let cleaned = TokenText.clean(token) else { return .failure(.missingToken) }
        return verifiedClaims(of: cleaned).flatMap { $0.identity(at: now, rules: rules) }
    }

    /// The name `verify` had while it was `async`; it is synchronous itself now.
    @available(*, deprecated, renamed: "verify(_:now:)")
    public func verifySynchronously(_ token: String?, now: Date) -> Result<Identity, AuthFailure> {
        verify(token, now: now)
    }

    /// Sign claims with the HS256 secret (demo tokens in embedded mode; tests).
    /// The claims are `exp` (whole seconds), `role` and, when given, `sub`.
    public func signHS256(subject: String?, role: String, expiresAt: Date) async throws -> String {
        guard let algorithm = keys.secret?.algorithmsByName["HS256"] else {
            throw AuthConfigurationError.secretNotConfigured
        }
        let claims = DemoClaims(
            exp: Int(expiresAt.timeIntervalSince1970.rounded(.down)), role: role, sub: subject)
        return try CompactToken.encode(header: JOSEHeader(alg: "HS256"), claims: claims) {
            try algorithm.sign($0)
        }
    }

    /// Steps 2–4, through the cache.
    private func verifiedClaims(of token: String) -> Result<TokenClaims, AuthFailure> {
        if let cached = cache.claims(for: token) { return .success(cached) }
        guard let parsed = CompactToken(parsing: token) else { return .failure(.malformed) }
        guard let algorithm = keys.algorithm(for: parsed.header) else { return .failure(.signerError) }
        guard (try? algorithm.verify(parsed.signature, signs: parsed.signingInput)) == true else {
            return .failure(.badSignature)
        }
        cache.insert(parsed.claims, for: token)
        return .success(parsed.claims)
    }

    /// How many verified tokens are cached (for tests and metrics).
    public var cachedTokenCount: Int { cache.count }
}

/// The claims `signHS256` writes.
private struct DemoClaims: Encodable {
    var exp: Int
    var role: String
    var sub: String?
}

/// A bounded, thread-safe map from a cleaned token to its signature-verified claims.
///
/// The same token is verified at connect and again at every `phx_join`, so remembering a
/// verified signature saves the expensive part (RSA/ECDSA especially). Only the signature and
/// claim decoding are remembered; `exp` is still checked against `now` on every call.
///
/// Eviction is by generations, an O(1) approximation of least-recently-used: entries go into
/// `current`; when it holds half the capacity it becomes `previous` (dropping the old
/// `previous`). A hit in `previous` moves the entry back into `current`. So at most `capacity`
/// entries are held, and a token used within the last half-capacity insertions stays cached.
final class VerifiedTokenCache: @unchecked Sendable {
    /// Tokens longer than this are verified every time rather than cached.
    static let maximumTokenLength = 16 * 1024

    private let lock = NSLock()
    private let generationCapacity: Int
    private var current: [String: TokenClaims] = [:]
    private var previous: [String: TokenClaims] = [:]

    /// A cache holding at most `capacity` entries; 0 (or less) disables caching.
    init(capacity: Int) {
        generationCapacity = max(capacity, 0) / 2
    }

    /// The claims recorded for `token`, if its signature was verified before.
    func claims(for token: String) -> TokenClaims? {
        guard generationCapacity > 0 else { return nil }
        return lock.withLock {
            if let claims = current[token] { return claims }
            guard let claims = previous.removeValue(forKey: token) else { return nil }
            storeLocked(claims, for: token)
            return claims
        }
    }

    /// Records that `token`'s signature verified and its payload decoded to `claims`.
    func insert(_ claims: TokenClaims, for token: String) {
        guard generationCapacity > 0, token.utf8.count <= Self.maximumTokenLength else { return }
        lock.withLock { storeLocked(claims, for: token) }
    }

    /// How many tokens are cached now.
    var count: Int {
        lock.withLock { current.count + previous.count }
    }

    /// Inserts into `current`, rolling generations first when `current` is full.
    /// Call with the lock held.
    private func storeLocked(_ claims: TokenClaims, for token: String) {
        if current[token] == nil, current.count >= generationCapacity {
            previous = current
            current = [:]
            current.reserveCapacity(generationCapacity)
        }
        current[token] = claims
    }
}
