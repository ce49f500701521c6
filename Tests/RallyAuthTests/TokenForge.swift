import Crypto
import CryptoExtras
import Foundation
import JWTKit
import RallyAuth
import XCTest

/// Builds test tokens byte by byte, independently of the code under test, so that tests can
/// craft any header or payload (missing claims, `alg: none`, confused algorithms).
enum TokenForge {
    /// The fixed clock every test uses: 2023-11-14T22:13:20Z.
    static let now = Date(timeIntervalSince1970: 1_700_000_000)
    static let secret = "super-secret-jwt-token-with-at-least-32-characters"

    static func base64url(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func base64url(_ text: String) -> String { base64url(Array(text.utf8)) }

    /// Signs a signing input (`header.payload` bytes).
    typealias Sign = ([UInt8]) throws -> [UInt8]

    /// `header.payload.signature`; with no `signer` the signature segment is empty.
    static func token(header: String, payload: String, signer: Sign?) throws -> String {
        let signingInput = base64url(header) + "." + base64url(payload)
        let signature = try signer.map { try $0(Array(signingInput.utf8)) } ?? []
        return signingInput + "." + base64url(signature)
    }

    /// A header naming `alg` and, when given, `kid`.
    static func header(alg: String, kid: String? = nil) -> String {
        kid.map { #"{"alg":"\#(alg)","kid":"\#($0)","typ":"JWT"}"# } ?? #"{"alg":"\#(alg)","typ":"JWT"}"#
    }

    /// Claims with `exp` seconds after `now` (negative: in the past).
    static func claims(role: String? = "authenticated", expiresIn: Int? = 3600, sub: String? = "user-1") -> String {
        var fields: [String] = []
        if let role { fields.append(#""role":"\#(role)""#) }
        if let expiresIn { fields.append(#""exp":\#(Int(now.timeIntervalSince1970) + expiresIn)"#) }
        if let sub { fields.append(#""sub":"\#(sub)""#) }
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// HS256/384/512 straight from swift-crypto, so that any secret length can be used (jwt-kit
    /// asserts a key at least as long as the digest) and the verifier's key handling is checked
    /// against an independent implementation.
    static func hmac(_ secret: String, alg: String = "HS256") -> Sign {
        let key = SymmetricKey(data: Array(secret.utf8))
        return { input in
            switch alg {
            case "HS384": return Array(HMAC<SHA384>.authenticationCode(for: input, using: key))
            case "HS512": return Array(HMAC<SHA512>.authenticationCode(for: input, using: key))
            default: return Array(HMAC<SHA256>.authenticationCode(for: input, using: key))
            }
        }
    }

    static func rsa(_ key: JWTKit.Insecure.RSA.PrivateKey, digest: DigestAlgorithm = .sha256) async throws -> Sign {
        let collection = JWTKeyCollection()
        await collection.add(rsa: key, digestAlgorithm: digest)
        let algorithm = try await collection.getKey()
        return { try algorithm.sign($0) }
    }

    static func ecdsa(_ key: ES256PrivateKey) async throws -> Sign {
        let collection = JWTKeyCollection()
        await collection.add(ecdsa: key)
        let algorithm = try await collection.getKey()
        return { try algorithm.sign($0) }
    }

    static func eddsa(_ key: EdDSA.PrivateKey) async throws -> Sign {
        let collection = JWTKeyCollection()
        await collection.add(eddsa: key)
        let algorithm = try await collection.getKey()
        return { try algorithm.sign($0) }
    }

    static func verifier(secret: String? = TokenForge.secret, jwksPath: String? = nil) async throws -> TokenVerifier {
        try await TokenVerifier(configuration: AuthConfiguration(jwtSecret: secret, jwksPath: jwksPath))
    }
}

/// Keys generated once per test run (RSA generation is slow in debug builds), and JWKS files.
enum KeyFixtures {
    typealias RSAKey = JWTKit.Insecure.RSA.PrivateKey
    static let rsaKey = Result { try RSAKey(backing: _RSA.Signing.PrivateKey(keySize: .bits2048)) }
    static let otherRSAKey = Result { try RSAKey(backing: _RSA.Signing.PrivateKey(keySize: .bits2048)) }
    static let ecKey = ES256PrivateKey()
    static let edKey = Result { try EdDSA.PrivateKey(curve: .ed25519) }

    /// The public JWK of an RSA key, as a JSON object.
    static func rsaJWK(_ key: RSAKey, kid: String, alg: String? = nil) throws -> [String: String] {
        let (modulus, exponent) = try key.publicKey.getKeyPrimitives()
        var jwk = ["kty": "RSA", "kid": kid, "use": "sig",
                   "n": TokenForge.base64url(modulus), "e": TokenForge.base64url(exponent)]
        jwk["alg"] = alg
        return jwk
    }

    static func ecJWK(_ key: ES256PrivateKey, kid: String) throws -> [String: String] {
        let parameters = try XCTUnwrap(key.publicKey.parameters)
        return ["kty": "EC", "kid": kid, "crv": "P-256", "x": parameters.x, "y": parameters.y]
    }

    static func edJWK(_ key: EdDSA.PrivateKey, kid: String) -> [String: String] {
        ["kty": "OKP", "kid": kid, "crv": "Ed25519", "x": TokenForge.base64url(key.publicKey.rawRepresentation)]
    }

    static func octJWK(secret: String, kid: String) -> [String: String] {
        ["kty": "oct", "kid": kid, "k": TokenForge.base64url(secret)]
    }

    /// Writes `{"keys": keys}` to a fresh file in the temporary directory and returns its path.
    static func writeJWKS(_ keys: [[String: String]]) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: ["keys": keys], options: [.sortedKeys])
        return try write(data)
    }

    static func write(_ data: Data) throws -> String {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("rally-auth-tests-\(UUID().uuidString).json")
        try data.write(to: url)
        return url.path
    }
}

extension XCTestCase {
    /// Verifies `token` at `now` and compares the whole result.
    func assertVerification(
        _ verifier: TokenVerifier, _ token: String?, at now: Date = TokenForge.now,
        is expected: Result<Identity, AuthFailure>, _ message: String = "",
        file: StaticString = #filePath, line: UInt = #line
    ) async {
        let result = await verifier.verify(token, now: now)
        XCTAssertEqual(result, expected, message, file: file, line: line)
    }

    /// Verifies `token` at `now`, failing the test unless it is accepted.
    func verifiedIdentity(
        _ verifier: TokenVerifier, _ token: String?, at now: Date = TokenForge.now,
        file: StaticString = #filePath, line: UInt = #line
    ) async throws -> Identity {
        let result = await verifier.verify(token, now: now)
        guard case .success(let identity) = result else {
            XCTFail("expected success, got \(result)", file: file, line: line)
            throw UnexpectedRefusal(failure: result)
        }
        return identity
    }
}

/// Thrown by `verifiedIdentity` after recording the failure, to end the test.
struct UnexpectedRefusal: Error {
    let failure: Result<Identity, AuthFailure>
}
