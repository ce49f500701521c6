@testable import RallyAuth
import XCTest

/// Cleaning a token's text: the byte-scan shortcut for plain compact JWTs gives what the full path gives.
final class TokenTextTests: XCTestCase {
    private let plain = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.c2lnbmF0dXJlLV8"

    func testPlainCompactTokenIsReturnedAsItIs() {
        XCTAssertTrue(TokenText.isCompactJWTText(plain))
        XCTAssertEqual(TokenText.clean(plain), plain)
    }

    func testAnythingToDecodeOrRemoveTakesTheFullPath() {
        for text in ["", " \(plain)", "\(plain)\n", "%20\(plain)", "\(plain)=", "a+b", "é.a.b", "\u{00A0}x"] {
            XCTAssertFalse(TokenText.isCompactJWTText(text), text)
        }
        XCTAssertEqual(TokenText.clean(" \(plain)%0A"), plain)
        XCTAssertEqual(TokenText.clean("\u{00A0}\(plain)\u{2003}"), plain)
        XCTAssertNil(TokenText.clean("%20"))
    }
}
