import Foundation
import JWTKit
import RallyAuth
import XCTest

/// RS*/ES*/EdDSA and `oct` keys from a JWKS file, selected by `kid`; the key fixes the algorithm.
final class JWKSVerificationTests: XCTestCase {
    private let now = TokenForge.now

    /// A verifier with the shared secret and a JWKS holding an RSA, an EC, an Ed25519 and an `oct` key.
    private func jwksVerifier(secret: String? = TokenForge.secret) async throws -> TokenVerifier {
        let path = try KeyFixtures.writeJWKS([
            try KeyFixtures.rsaJWK(try KeyFixtures.rsaKey.get(), kid: "rsa-1"),
            try KeyFixtures.ecJWK(KeyFixtures.ecKey, kid: "ec-1"),
            KeyFixtures.edJWK(try KeyFixtures.edKey.get(), kid: "ed-1"),
            KeyFixtures.octJWK(secret: "jwks-hmac-secret", kid: "hs-1"),
        ])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let verifier = try await TokenForge.verifier(secret: secret, jwksPath: path)
        XCTAssertEqual(verifier.loadedKeys, ["rsa-1 (RSA)", "ec-1 (EC)", "ed-1 (OKP)", "hs-1 (oct)"])
        XCTAssertTrue(verifier.skippedKeys.isEmpty, "\(verifier.skippedKeys)")
        return verifier
    }

    private func token(alg: String, kid: String?, signer: @escaping TokenForge.Sign,
                       payload: String = TokenForge.claims()) throws -> String {
        try TokenForge.token(header: TokenForge.header(alg: alg, kid: kid), payload: payload, signer: signer)
    }

    func testRS256RS384RS512ViaJWKS() async throws {
        let verifier = try await jwksVerifier()
        let digests: [(String, DigestAlgorithm)] = [("RS256", .sha256), ("RS384", .sha384), ("RS512", .sha512)]
        for (alg, digest) in digests {
            let signer = try await TokenForge.rsa(try KeyFixtures.rsaKey.get(), digest: digest)
            let identity = try await verifiedIdentity(verifier, try token(alg: alg, kid: "rsa-1", signer: signer))
            XCTAssertEqual(identity.subject, "user-1", alg)
        }
    }

    func testES256ViaJWKS() async throws {
        let verifier = try await jwksVerifier()
        let signer = try await TokenForge.ecdsa(KeyFixtures.ecKey)
        let identity = try await verifiedIdentity(verifier, try token(alg: "ES256", kid: "ec-1", signer: signer))
        XCTAssertEqual(identity.role, .authenticated)
    }

    func testEdDSAViaJWKSUnderBothNames() async throws {
        let verifier = try await jwksVerifier()
        let signer = try await TokenForge.eddsa(try KeyFixtures.edKey.get())
        for alg in ["EdDSA", "Ed25519"] {
            let identity = try await verifiedIdentity(verifier, try token(alg: alg, kid: "ed-1", signer: signer))
            XCTAssertEqual(identity.subject, "user-1", alg)
        }
    }

    func testExpiredJWKSTokenReportsSecondsAgo() async throws {
        let verifier = try await jwksVerifier()
        let signer = try await TokenForge.ecdsa(KeyFixtures.ecKey)
        let stale = try token(alg: "ES256", kid: "ec-1", signer: signer, payload: TokenForge.claims(expiresIn: -7))
        await assertVerification(verifier, stale, is: .failure(.expired(secondsAgo: 7)))
    }

    func testUnknownOrMissingKidIsSignerError() async throws {
        let verifier = try await jwksVerifier()
        let rsa = try await TokenForge.rsa(try KeyFixtures.rsaKey.get())
        await assertVerification(verifier, try token(alg: "RS256", kid: "nope", signer: rsa),
                                 is: .failure(.signerError))
        await assertVerification(verifier, try token(alg: "RS256", kid: nil, signer: rsa), is: .failure(.signerError))
        let ec = try await TokenForge.ecdsa(KeyFixtures.ecKey)
        await assertVerification(verifier, try token(alg: "ES256", kid: "nope", signer: ec), is: .failure(.signerError))
    }

    func testSignatureFromAnotherKeyIsBadSignature() async throws {
        let verifier = try await jwksVerifier()
        let impostor = try await TokenForge.rsa(try KeyFixtures.otherRSAKey.get())
        await assertVerification(verifier, try token(alg: "RS256", kid: "rsa-1", signer: impostor),
                                 is: .failure(.badSignature))
    }

    /// The classic attack: sign HS256 with the RSA public key's published text as the HMAC secret.
    func testHSRSConfusionIsRefused() async throws {
        let rsaKey = try KeyFixtures.rsaKey.get()
        let jwkText = String(decoding: try JSONSerialization.data(
            withJSONObject: try KeyFixtures.rsaJWK(rsaKey, kid: "rsa-1"), options: [.sortedKeys]), as: UTF8.self)
        let publicTexts = [rsaKey.publicKey.pemRepresentation, jwkText]
        let withSecret = try await jwksVerifier()
        let withoutSecret = try await jwksVerifier(secret: nil)
        for publicText in publicTexts {
            for alg in ["HS256", "HS512"] {
                let hmac = TokenForge.hmac(publicText, alg: alg)
                for kid in ["rsa-1", nil] as [String?] {
                    let forged = try token(alg: alg, kid: kid, signer: hmac)
                    await assertVerification(withSecret, forged, is: .failure(.badSignature), "\(alg) \(kid ?? "-")")
                    await assertVerification(withoutSecret, forged, is: .failure(.signerError), "\(alg) \(kid ?? "-")")
                }
            }
        }
    }

    func testAlgorithmIsFixedByTheKey() async throws {
        let verifier = try await jwksVerifier()
        let ec = try await TokenForge.ecdsa(KeyFixtures.ecKey)
        // An EC key never verifies an RS* or ES384 header, whatever the token claims.
        await assertVerification(verifier, try token(alg: "RS256", kid: "ec-1", signer: ec), is: .failure(.signerError))
        await assertVerification(verifier, try token(alg: "ES384", kid: "ec-1", signer: ec), is: .failure(.signerError))
        // PS256 is not accepted, even for an RSA key.
        let rsa = try await TokenForge.rsa(try KeyFixtures.rsaKey.get())
        await assertVerification(verifier, try token(alg: "PS256", kid: "rsa-1", signer: rsa),
                                 is: .failure(.signerError))

        // A JWK that declares `alg` verifies only that algorithm.
        let pinnedJWK = try KeyFixtures.rsaJWK(try KeyFixtures.rsaKey.get(), kid: "r", alg: "RS256")
        let path = try KeyFixtures.writeJWKS([pinnedJWK])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let pinned = try await TokenForge.verifier(jwksPath: path)
        let rs512 = try await TokenForge.rsa(try KeyFixtures.rsaKey.get(), digest: .sha512)
        await assertVerification(pinned, try token(alg: "RS512", kid: "r", signer: rs512), is: .failure(.signerError))
        _ = try await verifiedIdentity(pinned, try token(alg: "RS256", kid: "r", signer: rsa))
    }

    func testHMACKeyInJWKSIsSelectedByKid() async throws {
        let verifier = try await jwksVerifier()
        let jwksHMAC = TokenForge.hmac("jwks-hmac-secret")
        let sharedHMAC = TokenForge.hmac(TokenForge.secret)
        _ = try await verifiedIdentity(verifier, try token(alg: "HS256", kid: "hs-1", signer: jwksHMAC))
        // The `oct` key named by kid wins over the configured secret…
        await assertVerification(verifier, try token(alg: "HS256", kid: "hs-1", signer: sharedHMAC),
                                 is: .failure(.badSignature))
        // …and an HS token whose kid names no `oct` key falls back to the secret, as in Supabase.
        _ = try await verifiedIdentity(verifier, try token(alg: "HS256", kid: "unknown", signer: sharedHMAC))
    }

    func testJWKSFileProblems() async throws {
        let missing = "/nonexistent/rally-jwks.json"
        do {
            _ = try await TokenForge.verifier(jwksPath: missing)
            XCTFail("a missing JWKS file must throw")
        } catch let error as AuthConfigurationError {
            guard case .jwksUnreadable(let path, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(path, missing)
        }
        let notJWKS = try KeyFixtures.write(Data(#"{"kty":"RSA"}"#.utf8))
        defer { try? FileManager.default.removeItem(atPath: notJWKS) }
        do {
            _ = try await TokenForge.verifier(jwksPath: notJWKS)
            XCTFail("a JSON file without keys must throw")
        } catch let error as AuthConfigurationError {
            guard case .jwksInvalid = error else { return XCTFail("\(error)") }
        }
    }

    func testUnusableKeysAreSkippedWithReasons() async throws {
        let path = try KeyFixtures.writeJWKS([
            ["kty": "RSA", "n": "AQAB", "e": "AQAB"],
            ["kty": "oct", "kid": "enc", "use": "enc", "k": "c2VjcmV0"],
            ["kty": "foo", "kid": "weird"],
            ["kty": "EC", "kid": "bad-curve", "crv": "P-999", "x": "AA", "y": "AA"],
            ["kty": "RSA", "kid": "small", "n": "AQAB", "e": "AQAB"],
            try KeyFixtures.ecJWK(KeyFixtures.ecKey, kid: "ec-1"),
        ])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let verifier = try await TokenForge.verifier(jwksPath: path)
        XCTAssertEqual(verifier.loadedKeys, ["ec-1 (EC)"])
        XCTAssertEqual(verifier.skippedKeys.map { $0.prefix(while: { $0 != ":" }) },
                       ["#0", "enc", "weird", "bad-curve", "small"])
    }
}
