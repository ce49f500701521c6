import JWTKit

/// Why one JWKS key was left out.
enum JWKSKeyError: Error, CustomStringConvertible {
    case missingKeyID
    case encryptionKey
    case duplicate
    case unsupportedKeyType(String)
    case unsupportedCurve(String)
    case algorithmMismatch(String)
    case missingMaterial(String)
    case invalidKey(String)

    var description: String {
        switch self {
        case .missingKeyID: return "no kid, so no token can select it"
        case .encryptionKey: return "use is \"enc\""
        case .duplicate: return "an earlier key has the same kid and type"
        case .unsupportedKeyType(let kty): return "unsupported kty \"\(kty)\""
        case .unsupportedCurve(let crv): return "unsupported crv \"\(crv)\""
        case .algorithmMismatch(let alg): return "alg \"\(alg)\" does not fit this key"
        case .missingMaterial(let field): return "missing or empty \"\(field)\""
        case .invalidKey(let reason): return "invalid key: \(reason)"
        }
    }
}

/// Builds verification keys with jwt-kit. Every algorithm comes from its own one-key
/// `JWTKeyCollection` built for one `alg`, so the algorithm a key verifies is fixed by the key
/// when it is loaded, never chosen later by a token header.
enum VerificationKeyFactory {
    /// HS256/384/512 (or just `names`) with `secret` as the HMAC key.
    static func hmac(secret: [UInt8], names: [String] = KeyFamily.hmacAlgorithmNames) async throws
        -> VerificationKey
    {
        var algorithms: [String: any JWTAlgorithm] = [:]
        for name in names {
            let (digest, digestLength) = try digest(forHMAC: name)
            let key = HMACKey(from: zeroPadded(secret, toLength: digestLength))
            let collection = JWTKeyCollection()
            await collection.add(hmac: key, digestAlgorithm: digest)
            algorithms[name] = try await collection.getKey()
        }
        return VerificationKey(family: .hmac, algorithmsByName: algorithms)
    }

    /// jwt-kit asserts (and plans to require) an HMAC key at least as long as the digest, but
    /// Supabase accepts a secret of any length. HMAC (RFC 2104 §2) zero-pads every key shorter
    /// than the hash block to the block length before use, and every digest length (32/48/64)
    /// is at most its block length (64/128/128), so padding a short secret with zero bytes up to
    /// the digest length yields exactly the same MACs.
    static func zeroPadded(_ secret: [UInt8], toLength length: Int) -> [UInt8] {
        secret.count >= length ? secret : secret + [UInt8](repeating: 0, count: length - secret.count)
    }

    /// A JWKS entry as a verification key in its slot; throws `JWKSKeyError` when it cannot be used.
    static func key(from entry: JWKSEntry) async throws -> (KeySlot, VerificationKey) {
        guard let kid = entry.kid else { throw JWKSKeyError.missingKeyID }
        if entry.use == "enc" { throw JWKSKeyError.encryptionKey }
        let key: VerificationKey
        switch entry.kty {
        case "oct": key = try await hmacKey(entry)
        case "RSA": key = try await rsaKey(entry, kid: kid)
        case "EC": key = try await ecdsaKey(entry, kid: kid)
        case "OKP": key = try await edwardsKey(entry, kid: kid)
        default: throw JWKSKeyError.unsupportedKeyType(entry.kty ?? "")
        }
        return (KeySlot(keyID: kid, family: key.family), key)
    }

    private static func hmacKey(_ entry: JWKSEntry) async throws -> VerificationKey {
        guard let secret = entry.k.flatMap(Base64URL.decode), !secret.isEmpty else {
            throw JWKSKeyError.missingMaterial("k")
        }
        return try await hmac(secret: secret, names: try names(entry, allowed: KeyFamily.hmacAlgorithmNames))
    }

    private static func rsaKey(_ entry: JWKSEntry, kid: String) async throws -> VerificationKey {
        guard let modulus = entry.n, let exponent = entry.e else { throw JWKSKeyError.missingMaterial("n/e") }
        let names = try names(entry, allowed: KeyFamily.rsaAlgorithmNames)
        return try await publicKey(.rsa, kid: kid, names: names) { name in
            JWK.rsa(JWK.Algorithm(rawValue: name), identifier: JWKIdentifier(string: kid),
                    modulus: modulus, exponent: exponent)
        }
    }

    /// An EC key verifies exactly one algorithm, fixed by its curve.
    private static func ecdsaKey(_ entry: JWKSEntry, kid: String) async throws -> VerificationKey {
        let byCurve: [String: (name: String, curve: ECDSACurve)] = [
            "P-256": ("ES256", .p256), "P-384": ("ES384", .p384), "P-521": ("ES512", .p521),
        ]
        guard let crv = entry.crv, let match = byCurve[crv] else {
            throw JWKSKeyError.unsupportedCurve(entry.crv ?? "")
        }
        guard let x = entry.x, let y = entry.y else { throw JWKSKeyError.missingMaterial("x/y") }
        _ = try names(entry, allowed: [match.name])
        return try await publicKey(.ecdsa, kid: kid, names: [match.name]) { name in
            JWK.ecdsa(JWK.Algorithm(rawValue: name), identifier: JWKIdentifier(string: kid),
                      x: x, y: y, curve: match.curve)
        }
    }

    /// Ed25519 (jwt-kit has no Ed448). RFC 8037 names the algorithm `EdDSA`; some JOSE
    /// libraries name it after the curve, and Supabase accepts both spellings.
    private static func edwardsKey(_ entry: JWKSEntry, kid: String) async throws -> VerificationKey {
        guard entry.crv == "Ed25519" else { throw JWKSKeyError.unsupportedCurve(entry.crv ?? "") }
        guard let x = entry.x else { throw JWKSKeyError.missingMaterial("x") }
        _ = try names(entry, allowed: ["EdDSA", "Ed25519"])
        let built = try await publicKey(.eddsa, kid: kid, names: ["EdDSA"]) { _ in
            JWK.octetKeyPair(.eddsa, identifier: JWKIdentifier(string: kid), x: x, y: nil, curve: .ed25519)
        }
        guard let algorithm = built.algorithmsByName["EdDSA"] else { throw JWKSKeyError.invalidKey("EdDSA") }
        return VerificationKey(family: .eddsa, algorithmsByName: ["EdDSA": algorithm, "Ed25519": algorithm])
    }

    /// The `alg` names a key accepts: its own `alg` if it declares one (which must be in
    /// `allowed`), else all of `allowed`.
    private static func names(_ entry: JWKSEntry, allowed: [String]) throws -> [String] {
        guard let declared = entry.alg else { return allowed }
        guard allowed.contains(declared) else { throw JWKSKeyError.algorithmMismatch(declared) }
        return [declared]
    }

    /// One jwt-kit algorithm per name, each from a public-only JWK whose `alg` is that name.
    private static func publicKey(
        _ family: KeyFamily, kid: String, names: [String], jwk: (String) -> JWK
    ) async throws -> VerificationKey {
        var algorithms: [String: any JWTAlgorithm] = [:]
        for name in names {
            let collection = JWTKeyCollection()
            do {
                try await collection.add(jwk: jwk(name))
                algorithms[name] = try await collection.getKey(for: JWKIdentifier(string: kid))
            } catch {
                throw JWKSKeyError.invalidKey(String(describing: error))
            }
        }
        return VerificationKey(family: family, algorithmsByName: algorithms)
    }

    /// The digest of an HS* algorithm and its output length in bytes.
    private static func digest(forHMAC name: String) throws -> (DigestAlgorithm, Int) {
        switch name {
        case "HS256": return (.sha256, 32)
        case "HS384": return (.sha384, 48)
        case "HS512": return (.sha512, 64)
        default: throw JWKSKeyError.algorithmMismatch(name)
        }
    }
}
