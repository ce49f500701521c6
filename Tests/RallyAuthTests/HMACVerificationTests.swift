import Foundation
import RallyAuth
import XCTest

/// HS256/384/512 with the configured secret, and every claim and parsing failure.
final class HMACVerificationTests: XCTestCase {
    private let now = TokenForge.now

    private func hsToken(
        alg: String = "HS256", secret: String = TokenForge.secret, kid: String? = nil,
        payload: String = TokenForge.claims()
    ) async throws -> String {
        try TokenForge.token(header: TokenForge.header(alg: alg, kid: kid), payload: payload,
                             signer: TokenForge.hmac(secret, alg: alg))
    }

    func testHS256HS384HS512Verify() async throws {
        let verifier = try await TokenForge.verifier()
        for alg in ["HS256", "HS384", "HS512"] {
            let token = try await hsToken(alg: alg)
            let expected = Identity(role: .authenticated, rawRole: "authenticated", subject: "user-1",
                                    expiresAt: now.addingTimeInterval(3600))
            await assertVerification(verifier, token, is: .success(expected), alg)
        }
    }

    /// Supabase accepts a secret of any length; jwt-kit wants one at least as long as the digest.
    func testSecretsShorterOrLongerThanTheDigestWork() async throws {
        for secret in ["s", "short-secret", String(repeating: "long-secret-", count: 20)] {
            let verifier = try await TokenForge.verifier(secret: secret)
            for alg in ["HS256", "HS384", "HS512"] {
                let token = try await hsToken(alg: alg, secret: secret)
                let identity = try await verifiedIdentity(verifier, token)
                XCTAssertEqual(identity.subject, "user-1", "\(alg) with a \(secret.count)-byte secret")
                await assertVerification(verifier, try await hsToken(alg: alg, secret: secret + "x"),
                                         is: .failure(.badSignature), alg)
            }
        }
    }

    func testSignHS256RoundTrips() async throws {
        let verifier = try await TokenForge.verifier()
        let expiry = now.addingTimeInterval(60)
        let token = try await verifier.signHS256(subject: "u-9", role: "service_role", expiresAt: expiry)
        let header = try XCTUnwrap(token.split(separator: ".").first)
        XCTAssertEqual(header, Substring(TokenForge.base64url(#"{"alg":"HS256","typ":"JWT"}"#)))
        let expected = Identity(role: .serviceRole, rawRole: "service_role", subject: "u-9", expiresAt: expiry)
        await assertVerification(verifier, token, is: .success(expected))
    }

    func testSignHS256WithoutSecretThrows() async throws {
        let verifier = try await TokenForge.verifier(secret: nil)
        do {
            _ = try await verifier.signHS256(subject: nil, role: "anon", expiresAt: now)
            XCTFail("signing without a secret must throw")
        } catch {
            XCTAssertEqual(error as? AuthConfigurationError, .secretNotConfigured)
        }
    }

    func testExpiredTokenReportsSecondsAgo() async throws {
        let verifier = try await TokenForge.verifier()
        let stale = try await hsToken(payload: TokenForge.claims(expiresIn: -42))
        await assertVerification(verifier, stale, is: .failure(.expired(secondsAgo: 42)))
        let expiringNow = try await hsToken(payload: TokenForge.claims(expiresIn: 0))
        await assertVerification(verifier, expiringNow, is: .failure(.expired(secondsAgo: 0)))
        // Whole seconds, as Supabase: a fraction of a second past `exp - 1` is still valid.
        let nextSecond = try await hsToken(payload: TokenForge.claims(expiresIn: 1))
        let identity = try await verifiedIdentity(verifier, nextSecond, at: now.addingTimeInterval(0.9))
        XCTAssertEqual(identity.role, .authenticated)
        // Supabase compares `exp` with whole seconds now: valid while `exp > floor(now)`.
        let fractional = try await hsToken(payload: #"{"role":"anon","exp":1700000000.3}"#)
        _ = try await verifiedIdentity(verifier, fractional, at: now.addingTimeInterval(0.5))
        await assertVerification(verifier, fractional, at: now.addingTimeInterval(1.9),
                                 is: .failure(.expired(secondsAgo: 1)))
    }

    func testExpiryIsCheckedBeforeRole() async throws {
        let verifier = try await TokenForge.verifier()
        let token = try await hsToken(payload: TokenForge.claims(role: nil, expiresIn: -5))
        await assertVerification(verifier, token, is: .failure(.expired(secondsAgo: 5)))
    }

    func testMissingRoleOrExpIsMissingClaims() async throws {
        let verifier = try await TokenForge.verifier()
        let payloads = [
            TokenForge.claims(role: nil),
            TokenForge.claims(expiresIn: nil),
            #"{"role":"anon","exp":"1700003600"}"#,
            #"{"role":42,"exp":1700003600}"#,
            #"{"role":"anon","exp":true}"#,
        ]
        for payload in payloads {
            let token = try await hsToken(payload: payload)
            await assertVerification(verifier, token, is: .failure(.missingClaims), payload)
        }
    }

    func testGarbageIsMalformed() async throws {
        let verifier = try await TokenForge.verifier()
        let header = TokenForge.base64url(TokenForge.header(alg: "HS256"))
        let payload = TokenForge.base64url(TokenForge.claims())
        let garbage = [
            "garbage", "a.b", "a.b.c", "\(header).\(payload)", "\(header).\(payload).sig.extra",
            ".\(payload).", "\(header)..", "\(header).\(payload).not*base64",
            "\(TokenForge.base64url("not json")).\(payload).",
            "\(header).\(TokenForge.base64url("[1,2]")).",
            "\(TokenForge.base64url("\"alg\"")).\(payload).",
        ]
        for token in garbage {
            await assertVerification(verifier, token, is: .failure(.malformed), token)
        }
    }

    func testWrongSecretOrTamperedPayloadIsBadSignature() async throws {
        let verifier = try await TokenForge.verifier()
        let foreign = try await hsToken(secret: "some-other-secret")
        await assertVerification(verifier, foreign, is: .failure(.badSignature))

        let genuine = try await hsToken(payload: TokenForge.claims(role: "anon"))
        var parts = genuine.split(separator: ".").map(String.init)
        parts[1] = TokenForge.base64url(TokenForge.claims(role: "service_role"))
        await assertVerification(verifier, parts.joined(separator: "."), is: .failure(.badSignature))
    }

    func testAlgNoneIsRefused() async throws {
        let verifier = try await TokenForge.verifier()
        for header in [#"{"alg":"none"}"#, #"{"alg":"none","typ":"JWT"}"#, #"{"alg":"None"}"#, #"{"typ":"JWT"}"#] {
            let token = try TokenForge.token(header: header, payload: TokenForge.claims(), signer: nil)
            XCTAssertTrue(token.hasSuffix("."))
            await assertVerification(verifier, token, is: .failure(.signerError), header)
        }
    }

    func testNoSecretConfiguredIsSignerError() async throws {
        let verifier = try await TokenForge.verifier(secret: nil)
        XCTAssertFalse(verifier.hasSecret)
        let token = try await hsToken()
        await assertVerification(verifier, token, is: .failure(.signerError))
        let emptySecret = try await TokenForge.verifier(secret: "")
        await assertVerification(emptySecret, token, is: .failure(.signerError))
    }

    func testMissingTokenVariants() async throws {
        let verifier = try await TokenForge.verifier()
        for token in [nil, "", "   ", "\n\t", "%20%0A"] as [String?] {
            await assertVerification(verifier, token, is: .failure(.missingToken), "\(String(describing: token))")
        }
    }

    func testURLEncodedTokenAndWhitespaceAreAccepted() async throws {
        let verifier = try await TokenForge.verifier()
        let token = try await hsToken()
        let everythingEncoded = token.utf8.map { String(format: "%%%02X", $0) }.joined()
        let dotsEncoded = token.replacingOccurrences(of: ".", with: "%2E")
        let variants = [
            "  \(token)\n", "\t\(everythingEncoded) ", dotsEncoded, "%20\(token)%0A",
            String(token.prefix(10)) + "\n " + String(token.dropFirst(10)),
        ]
        for variant in variants {
            let identity = try await verifiedIdentity(verifier, variant)
            XCTAssertEqual(identity.subject, "user-1", variant)
        }
    }
}
