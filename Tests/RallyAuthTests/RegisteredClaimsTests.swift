import Foundation
import RallyAuth
import XCTest

/// `nbf` is enforced (RFC 7519 §4.1.5, no leeway, as for `exp`); `aud` and `iss` when configured.
final class RegisteredClaimsTests: XCTestCase {
    private let now = TokenForge.now
    private var nowSeconds: Int { Int(now.timeIntervalSince1970) }

    /// An HS256 token with the usual claims plus `extra` (JSON members, without braces).
    private func token(_ extra: String) throws -> String {
        var claims = TokenForge.claims()
        claims.removeLast()
        return try TokenForge.token(header: TokenForge.header(alg: "HS256"), payload: claims + "," + extra + "}",
                                    signer: TokenForge.hmac(TokenForge.secret))
    }

    private func verifier(audience: String? = nil, issuer: String? = nil) async throws -> TokenVerifier {
        try await TokenVerifier(configuration: AuthConfiguration(
            jwtSecret: TokenForge.secret, jwksPath: nil, claimRules: ClaimRules(audience: audience, issuer: issuer)))
    }

    private func outcome(_ verifier: TokenVerifier, _ token: String) -> AuthFailure? {
        if case .failure(let failure) = verifier.verify(token, now: now) { return failure }
        return nil
    }

    func testNotBeforeInTheFutureIsRefused() async throws {
        let verifier = try await verifier()
        let early = outcome(verifier, try token(#""nbf":\#(nowSeconds + 60)"#))
        XCTAssertEqual(early, .notYetValid)
        XCTAssertEqual(early?.joinReason, "InvalidJWTToken: Token is not valid yet")
        XCTAssertNil(outcome(verifier, try token(#""nbf":\#(nowSeconds)"#)))
        XCTAssertNil(outcome(verifier, try token(#""nbf":\#(nowSeconds - 60)"#)))
    }

    func testAudienceIsCheckedOnlyWhenConfigured() async throws {
        let open = try await verifier()
        XCTAssertNil(outcome(open, try token(#""aud":"someone-else""#)))
        let strict = try await verifier(audience: "authenticated")
        XCTAssertNil(outcome(strict, try token(#""aud":"authenticated""#)))
        XCTAssertNil(outcome(strict, try token(#""aud":["other","authenticated"]"#)))
        XCTAssertEqual(outcome(strict, try token(#""aud":"other""#)), .wrongAudience)
        XCTAssertEqual(outcome(strict, try TokenForge.token(
            header: TokenForge.header(alg: "HS256"), payload: TokenForge.claims(),
            signer: TokenForge.hmac(TokenForge.secret))), .wrongAudience, "no aud at all")
    }

    func testIssuerIsCheckedOnlyWhenConfigured() async throws {
        let open = try await verifier()
        let strict = try await verifier(issuer: "https://project.supabase.co/auth/v1")
        XCTAssertNil(outcome(strict, try token(#""iss":"https://project.supabase.co/auth/v1""#)))
        XCTAssertEqual(outcome(strict, try token(#""iss":"https://evil.example""#)), .wrongIssuer)
        XCTAssertNil(outcome(open, try token(#""iss":"https://evil.example""#)))
    }
}
