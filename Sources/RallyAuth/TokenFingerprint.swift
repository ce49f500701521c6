import Foundation

/// What a socket keeps of a verified token instead of its text (~300 bytes an idle socket would hold): enough to
/// tell whether a later token is the same one (an `access_token` refresh that repeats the channel's token is
/// ignored).
///
/// A 64-bit hash under the process's random seed, never sent or stored outside the process: equal texts give
/// equal fingerprints. Two different tokens share one with odds of 2⁻⁶⁴ (and a client cannot aim for it without
/// the seed); the later token would then be taken for the earlier one and ignored, so the channel would keep the
/// identity and expiry it was verified with — never gain one it was not.
public struct TokenFingerprint: Hashable, Sendable {
    private let value: Int

    public init(_ token: String) {
        var hasher = Hasher()
        hasher.combine(token)
        value = hasher.finalize()
    }
}

extension Identity {
    /// What `TokenVerifier.verify` answers at `now` for the token this identity was verified from, without the
    /// token: the signature, `role`, `nbf`, `aud` and `iss` were decided at that verification and do not change
    /// (keys and claim rules are fixed while the node runs; `nbf` stays in the past), so only `exp` can move the
    /// verdict — to `expired(secondsAgo:)`, counted as `verify` counts it.
    public func revalidated(at now: Date) -> Result<Identity, AuthFailure> {
        let nowSeconds = now.timeIntervalSince1970.rounded(.down)
        let expiration = expiresAt.timeIntervalSince1970
        guard expiration > nowSeconds else {
            return .failure(.expired(secondsAgo: TokenClaims.wholeSeconds(nowSeconds - expiration.rounded())))
        }
        return .success(self)
    }
}
