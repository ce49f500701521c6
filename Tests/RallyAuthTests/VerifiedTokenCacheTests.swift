import Foundation
@testable import RallyAuth
import XCTest

/// The verified-token cache: bounded, thread-safe, and `exp` is rechecked on every call.
final class VerifiedTokenCacheTests: XCTestCase {
    private let now = TokenForge.now

    private func signed(_ payload: String) throws -> String {
        try TokenForge.token(header: TokenForge.header(alg: "HS256"), payload: payload,
                             signer: TokenForge.hmac(TokenForge.secret))
    }

    func testCachedTokenIsStillCheckedForExpiry() async throws {
        let verifier = try await TokenForge.verifier()
        let token = try signed(TokenForge.claims(expiresIn: 100))
        _ = try await verifiedIdentity(verifier, token)
        XCTAssertEqual(verifier.cachedTokenCount, 1)
        _ = try await verifiedIdentity(verifier, "  \(token)  ", at: now.addingTimeInterval(99))
        XCTAssertEqual(verifier.cachedTokenCount, 1, "the cleaned token is the key")
        await assertVerification(verifier, token, at: now.addingTimeInterval(130),
                                 is: .failure(.expired(secondsAgo: 30)))
    }

    func testFailuresAreNotCached() async throws {
        let verifier = try await TokenForge.verifier()
        let forged = try TokenForge.token(header: TokenForge.header(alg: "HS256"), payload: TokenForge.claims(),
                                          signer: TokenForge.hmac("wrong"))
        await assertVerification(verifier, forged, is: .failure(.badSignature))
        await assertVerification(verifier, "garbage", is: .failure(.malformed))
        XCTAssertEqual(verifier.cachedTokenCount, 0)
    }

    func testVerifierCacheIsBounded() async throws {
        let verifier = try await TokenVerifier(
            configuration: AuthConfiguration(jwtSecret: TokenForge.secret, jwksPath: nil), cacheCapacity: 4)
        for index in 0..<10 {
            let token = try signed(TokenForge.claims(sub: "user-\(index)"))
            _ = try await verifiedIdentity(verifier, token)
            XCTAssertLessThanOrEqual(verifier.cachedTokenCount, 4)
        }
        let uncached = try await TokenVerifier(
            configuration: AuthConfiguration(jwtSecret: TokenForge.secret, jwksPath: nil), cacheCapacity: 0)
        _ = try await verifiedIdentity(uncached, try signed(TokenForge.claims()))
        XCTAssertEqual(uncached.cachedTokenCount, 0)
    }

    func testCacheKeepsRecentlyUsedEntries() {
        let cache = VerifiedTokenCache(capacity: 4)
        let claims = TokenClaims(expiration: 1, role: "anon", subject: nil)
        cache.insert(claims, for: "a")
        cache.insert(claims, for: "b")
        cache.insert(claims, for: "c")  // "a", "b" move to the previous generation
        XCTAssertNotNil(cache.claims(for: "a"))  // promoted back to the current generation
        cache.insert(claims, for: "d")  // "c", "a" become previous; "b" is dropped
        XCTAssertNil(cache.claims(for: "b"))
        XCTAssertNotNil(cache.claims(for: "a"))
        XCTAssertNotNil(cache.claims(for: "d"))
        XCTAssertLessThanOrEqual(cache.count, 4)
        cache.insert(claims, for: String(repeating: "x", count: VerifiedTokenCache.maximumTokenLength + 1))
        XCTAssertLessThanOrEqual(cache.count, 4)
    }

    func testConcurrentVerificationIsConsistent() async throws {
        let verifier = try await TokenVerifier(
            configuration: AuthConfiguration(jwtSecret: TokenForge.secret, jwksPath: nil), cacheCapacity: 8)
        var tokens: [String] = []
        for index in 0..<16 { tokens.append(try signed(TokenForge.claims(sub: "user-\(index)"))) }
        let subjects = await withTaskGroup(of: String?.self) { group in
            for round in 0..<200 {
                let token = tokens[round % tokens.count]
                group.addTask { try? verifier.verify(token, now: TokenForge.now).get().subject }
            }
            var collected: [String?] = []
            for await subject in group { collected.append(subject) }
            return collected
        }
        XCTAssertEqual(subjects.count, 200)
        XCTAssertEqual(Set(subjects.compactMap { $0 }).count, 16)
        XCTAssertFalse(subjects.contains(nil))
        XCTAssertLessThanOrEqual(verifier.cachedTokenCount, 8)
    }
}
