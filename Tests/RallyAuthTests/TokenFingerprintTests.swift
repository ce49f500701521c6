import Foundation
import RallyAuth
import XCTest

/// What a socket keeps of its connect token: a fingerprint, and the identity re-checked against the clock, which
/// must answer exactly what verifying the token again answers.
final class TokenFingerprintTests: XCTestCase {
    private let now = TokenForge.now

    private func token(exp: String) throws -> String {
        try TokenForge.token(header: TokenForge.header(alg: "HS256"),
                             payload: #"{"role":"authenticated","sub":"user-1","exp":\#(exp)}"#,
                             signer: TokenForge.hmac(TokenForge.secret))
    }

    func testRevalidatedIdentityAnswersAsVerifyingTheTokenAgain() async throws {
        let verifier = try await TokenForge.verifier()
        let seconds = Int(now.timeIntervalSince1970)
        for exp in ["\(seconds + 60)", "\(seconds + 60).4", "\(seconds + 60).5", "\(seconds + 60).9"] {
            let token = try token(exp: exp)
            let identity = try verifier.verify(token, now: now).get()
            for later in [0, 30, 59, 59.99, 60, 60.4, 60.5, 61, 90.3, 3600] as [Double] {
                let at = now.addingTimeInterval(later)
                XCTAssertEqual(identity.revalidated(at: at), verifier.verify(token, now: at), "exp \(exp), +\(later) s")
            }
        }
    }

    func testAnExpiredIdentityIsRefusedWithItsAge() async throws {
        let verifier = try await TokenForge.verifier()
        let identity = try verifier.verify(try token(exp: "\(Int(now.timeIntervalSince1970) + 10)"), now: now).get()
        XCTAssertEqual(identity.revalidated(at: now.addingTimeInterval(40)), .failure(.expired(secondsAgo: 30)))
    }

    func testEqualTextsShareAFingerprintAndOthersDoNot() throws {
        let token = try token(exp: "\(Int(now.timeIntervalSince1970) + 60)")
        let copy = String(decoding: Array(token.utf8), as: UTF8.self)
        XCTAssertEqual(TokenFingerprint(token), TokenFingerprint(copy))
        XCTAssertNotEqual(TokenFingerprint(token), TokenFingerprint(token + "x"))
        XCTAssertNotEqual(TokenFingerprint(token), TokenFingerprint(try self.token(exp: "\(Int(now.timeIntervalSince1970) + 61)")))
    }
}
