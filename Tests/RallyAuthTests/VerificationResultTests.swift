import Foundation
import RallyAuth
import XCTest

/// The two outcomes: the role an identity gets, and the exact wording of each refusal
/// (ANCHORS §3.1 table, §3.3 join reasons) that clients and dashboards match on.
final class VerificationResultTests: XCTestCase {
    private func signed(_ payload: String) throws -> String {
        try TokenForge.token(header: TokenForge.header(alg: "HS256"), payload: payload,
                             signer: TokenForge.hmac(TokenForge.secret))
    }

    func testRoleMappingRule() {
        XCTAssertEqual(Identity.Role(claimedRole: "anon", subject: "u"), .anon)
        XCTAssertEqual(Identity.Role(claimedRole: "authenticated", subject: nil), .authenticated)
        XCTAssertEqual(Identity.Role(claimedRole: "service_role", subject: nil), .serviceRole)
        XCTAssertEqual(Identity.Role(claimedRole: "editor", subject: "u"), .authenticated)
        XCTAssertEqual(Identity.Role(claimedRole: "editor", subject: nil), .anon)
        XCTAssertEqual(Identity.Role(claimedRole: "editor", subject: ""), .anon)
        XCTAssertEqual(Identity.Role(claimedRole: "Service_Role", subject: nil), .anon)
    }

    func testRoleMappingFromTokens() async throws {
        let verifier = try await TokenForge.verifier()
        let cases: [(role: String, sub: String?, expected: Identity.Role)] = [
            ("anon", nil, .anon), ("authenticated", "u-1", .authenticated), ("service_role", nil, .serviceRole),
            ("supabase_admin", "u-2", .authenticated), ("supabase_admin", nil, .anon), ("editor", "", .anon),
        ]
        for (role, sub, expected) in cases {
            let token = try signed(TokenForge.claims(role: role, sub: sub))
            let identity = try await verifiedIdentity(verifier, token)
            XCTAssertEqual(identity.role, expected, "\(role) \(sub ?? "nil")")
            XCTAssertEqual(identity.rawRole, role)
            XCTAssertEqual(identity.subject, sub?.isEmpty == false ? sub : nil)
        }
    }

    func testConnectMessages() {
        let expected: [(AuthFailure, String)] = [
            (.missingToken, "API key is missing"),
            (.expired(secondsAgo: 12), "Token has expired"),
            (.missingClaims, "Fields `role` and `exp` are required in JWT"),
            (.malformed, "The token provided is not a valid JWT"),
            (.badSignature, "Failed to validate JWT signature"),
            (.signerError, "Failed to generate JWT signer, check your JWT secret or JWKS configuration"),
        ]
        for (failure, message) in expected {
            XCTAssertEqual(failure.connectMessage, message)
            XCTAssertEqual(failure.httpStatus, 401)
        }
    }

    func testJoinReasons() {
        let expected: [(AuthFailure, String)] = [
            (.missingToken, "InvalidJWTToken: API key is missing"),
            (.expired(secondsAgo: 12), "InvalidJWTToken: Token has expired 12 seconds ago"),
            (.missingClaims, "InvalidJWTToken: Fields `role` and `exp` are required in JWT"),
            (.malformed, "MalformedJWT: The token provided is not a valid JWT"),
            (.badSignature, "JwtSignatureError: Failed to validate JWT signature"),
            (.signerError,
             "JwtSignerError: Failed to generate JWT signer, check your JWT secret or JWKS configuration"),
        ]
        for (failure, reason) in expected {
            XCTAssertEqual(failure.joinReason, reason)
        }
    }

    func testChannelMessageIsTheReasonWithoutItsCode() {
        XCTAssertEqual(AuthFailure.expired(secondsAgo: 3).channelMessage, "Token has expired 3 seconds ago")
        let all: [AuthFailure] = [.missingToken, .expired(secondsAgo: 0), .missingClaims, .malformed,
                                  .badSignature, .signerError]
        for failure in all {
            XCTAssertEqual(failure.joinReason, "\(failure.joinCode): \(failure.channelMessage)")
            XCTAssertFalse(failure.channelMessage.contains(failure.joinCode))
        }
    }
}
