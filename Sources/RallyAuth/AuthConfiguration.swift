import Foundation
import JWTKit

public struct AuthConfiguration: Sendable {
    /// HS256/384/512 shared secret (RALLY_JWT_SECRET). Its UTF-8 bytes are the HMAC key, as in
    /// Supabase; an empty string counts as no secret.
    public var jwtSecret: String?
    /// Path of a JWKS JSON file for RS*/ES* (and HS with kid) keys (RALLY_JWT_JWKS).
    public var jwksPath: String?
    /// `aud` / `iss` every token must carry (RALLY_JWT_AUDIENCE, RALLY_JWT_ISSUER); unset: not checked.
    public var claimRules: ClaimRules
    public init(jwtSecret: String?, jwksPath: String?, claimRules: ClaimRules = ClaimRules()) {
        self.jwtSecret = jwtSecret; self.jwksPath = jwksPath; self.claimRules = claimRules
    }
}

/// A configuration problem found while building a `TokenVerifier`, or when signing without a secret.
public enum AuthConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The JWKS file could not be read.
    case jwksUnreadable(path: String, reason: String)
    /// The JWKS file is not a JSON object with a `keys` array.
    case jwksInvalid(path: String, reason: String)
    /// `signHS256` was called but no `jwtSecret` is configured.
    case secretNotConfigured

    public var description: String {
        switch self {
        case .jwksUnreadable(let path, let reason): return "cannot read JWKS file \(path): \(reason)"
        case .jwksInvalid(let path, let reason): return "JWKS file \(path) is not a JWK set: \(reason)"
        case .secretNotConfigured: return "no JWT secret is configured (RALLY_JWT_SECRET)"
        }
    }
}

/// A JWK set as read from the JWKS file: `{"keys": [ … ]}`.
struct JWKSDocument: Decodable, Sendable {
    var keys: [JWKSEntry]

    /// Reads and decodes the file at `path`.
    static func load(path: String) throws -> JWKSDocument {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw AuthConfigurationError.jwksUnreadable(path: path, reason: error.localizedDescription)
        }
        return try decode(data, path: path)
    }

    static func decode(_ data: Data, path: String) throws -> JWKSDocument {
        do {
            return try JSONDecoder().decode(JWKSDocument.self, from: data)
        } catch {
            throw AuthConfigurationError.jwksInvalid(path: path, reason: String(describing: error))
        }
    }
}

/// One JWK's public fields, read leniently: a field of the wrong JSON type reads as absent, so
/// that one odd key is skipped (with a reason) instead of failing the whole file. Private
/// members (`d`, `p`, `q`, …) are never read: a JWKS key only verifies.
struct JWKSEntry: Decodable, Sendable, Equatable {
    var kty: String?
    var kid: String?
    var alg: String?
    var use: String?
    /// EC and OKP curve.
    var crv: String?
    /// `oct` key material (base64url).
    var k: String?
    /// RSA modulus and exponent (base64url).
    var n: String?
    var e: String?
    /// EC / OKP public coordinates (base64url).
    var x: String?
    var y: String?

    private enum CodingKeys: String, CodingKey { case kty, kid, alg, use, crv, k, n, e, x, y }

    init(kty: String?, kid: String?, alg: String? = nil, use: String? = nil, crv: String? = nil,
         k: String? = nil, n: String? = nil, e: String? = nil, x: String? = nil, y: String? = nil) {
        self.kty = kty; self.kid = kid; self.alg = alg; self.use = use; self.crv = crv
        self.k = k; self.n = n; self.e = e; self.x = x; self.y = y
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        kty = container.lenient(String.self, forKey: .kty)
        kid = container.lenient(String.self, forKey: .kid)
        alg = container.lenient(String.self, forKey: .alg)
        use = container.lenient(String.self, forKey: .use)
        crv = container.lenient(String.self, forKey: .crv)
        k = container.lenient(String.self, forKey: .k)
        n = container.lenient(String.self, forKey: .n)
        e = container.lenient(String.self, forKey: .e)
        x = container.lenient(String.self, forKey: .x)
        y = container.lenient(String.self, forKey: .y)
    }
}

/// The kind of a key. It alone decides which `alg` values the key may verify, so a token header
/// can never make an RSA public key act as an HMAC secret (HS/RS confusion).
enum KeyFamily: Sendable, Hashable {
    case hmac, rsa, ecdsa, eddsa

    /// The family a token's `alg` belongs to; nil for anything Rally refuses (`none`, `PS256`, …).
    init?(algorithmName name: String) {
        switch name {
        case "HS256", "HS384", "HS512": self = .hmac
        case "RS256", "RS384", "RS512": self = .rsa
        case "ES256", "ES384", "ES512": self = .ecdsa
        case "EdDSA", "Ed25519": self = .eddsa
        default: return nil
        }
    }

    static let hmacAlgorithmNames = ["HS256", "HS384", "HS512"]
    static let rsaAlgorithmNames = ["RS256", "RS384", "RS512"]
}

/// One verification key, ready to use: the jwt-kit algorithm for each `alg` name this key accepts.
struct VerificationKey: Sendable {
    let family: KeyFamily
    let algorithmsByName: [String: any JWTAlgorithm]
}

/// A JWKS key's place in the table: Supabase looks keys up by `kid` *and* `kty`.
struct KeySlot: Sendable, Hashable {
    let keyID: String
    let family: KeyFamily
}

/// Every key a verifier knows, and Supabase's rule (`generate_signer`) for picking one from a header:
/// - HS*: the JWKS `oct` key with the token's `kid` if there is one, else the configured secret;
/// - RS*/ES*/EdDSA: only the JWKS key of that family with the token's `kid`;
/// - anything else (`none`, PS*, a missing `alg`): no key.
struct SigningKeys: Sendable {
    /// HS256/384/512 with the configured secret (RALLY_JWT_SECRET).
    var secret: VerificationKey?
    /// Keys from the JWKS file.
    var jwks: [KeySlot: VerificationKey]

    /// The algorithm that may verify a token with this header; nil means `signerError`.
    func algorithm(for header: JOSEHeader) -> (any JWTAlgorithm)? {
        guard let name = header.alg, let family = KeyFamily(algorithmName: name) else { return nil }
        if let kid = header.kid, let key = jwks[KeySlot(keyID: kid, family: family)] {
            return key.algorithmsByName[name]
        }
        return family == .hmac ? secret?.algorithmsByName[name] : nil
    }
}

extension SigningKeys {
    /// What loading the configuration produced, for the server to log at startup.
    struct LoadReport: Sendable {
        /// `kid (kty)` of every JWKS key in use, in file order.
        var loaded: [String] = []
        /// `kid: reason` for every JWKS key that was left out.
        var skipped: [String] = []
    }

    /// Builds the key table from the configured secret and JWKS file.
    /// Throws `AuthConfigurationError` when the JWKS file cannot be read or is not a JWKS;
    /// single keys that cannot be used are skipped and listed in the report.
    static func load(_ configuration: AuthConfiguration) async throws -> (SigningKeys, LoadReport) {
        var keys = SigningKeys(secret: nil, jwks: [:])
        var report = LoadReport()
        if let secret = configuration.jwtSecret, !secret.isEmpty {
            keys.secret = try await VerificationKeyFactory.hmac(secret: Array(secret.utf8))
        }
        let entries = try configuration.jwksPath.map(JWKSDocument.load(path:))?.keys ?? []
        for (index, entry) in entries.enumerated() {
            let label = entry.kid ?? "#\(index)"
            do {
                let (slot, key) = try await VerificationKeyFactory.key(from: entry)
                // Like Supabase's `Enum.find`, the first key with a given kid and type wins.
                guard keys.jwks[slot] == nil else { throw JWKSKeyError.duplicate }
                keys.jwks[slot] = key
                report.loaded.append("\(label) (\(entry.kty ?? "?"))")
            } catch {
                report.skipped.append("\(label): \(error)")
            }
        }
        return (keys, report)
    }
}
