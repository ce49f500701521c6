// Access tokens as a socket's `apikey`/`access_token` or a later `access_token` event carry them:
// TokenText.clean, the compact JWT split with strict base64url and the lenient JOSE header / claims, then
// HS256 verification and the claim checks, through TokenVerifier with an HS256 secret and no cache (so every
// input is parsed). Invariants: base64url decoding inverts encoding; a token that verifies parses as compact.
import Dispatch
import Foundation
import FuzzSupport
@testable import RallyAuth

/// The secret the corpus's signed seeds use (Fuzz/make_seeds.py).
let secret = "rally-fuzz-secret-at-least-32-bytes-long"

let verifier: TokenVerifier = {
    final class Box: @unchecked Sendable { var verifier: TokenVerifier? }
    let box = Box()
    let done = DispatchSemaphore(value: 0)
    Task {
        box.verifier = try? await TokenVerifier(
            configuration: AuthConfiguration(jwtSecret: secret, jwksPath: nil), cacheCapacity: 0
        )
        done.signal()
    }
    done.wait()
    guard let verifier = box.verifier else { fatalError("no verifier") }
    return verifier
}()

let now = Date(timeIntervalSince1970: 1_800_000_000)

func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let text = String(decoding: bytes, as: UTF8.self)
    let result = verifier.verifySynchronously(text, now: now)
    if case .success = result {
        invariant(TokenText.clean(text).flatMap(CompactToken.init(parsing:)) != nil, "verified but not a compact token")
    }
    _ = CompactToken(parsing: text)
    let encoded = Base64URL.encode(bytes)
    invariant(Base64URL.decode(encoded) == Array(bytes), "base64url round trip failed")
    if let decoded = Base64URL.decode(text) {
        invariant(decoded.count <= text.utf8.count, "decoded more bytes than the text has")
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1) { fuzz(data ?? UnsafePointer($0.baseAddress!), size) }
}

@_cdecl("FuzzToken_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, testOneInput)
}
