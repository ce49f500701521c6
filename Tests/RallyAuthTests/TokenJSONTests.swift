import Foundation
@testable import RallyAuth
import XCTest

/// A token's header and claims read without `JSONDecoder` give exactly what `JSONDecoder` gives, for plain
/// tokens and for hostile ones (which are left to `JSONDecoder`); base64url decoding agrees with Foundation's.
final class TokenJSONTests: XCTestCase {
    /// Payloads an issuer writes, and payloads an attacker may write.
    private let payloads: [String] = [
        #"{"role":"authenticated","sub":"00000000-0000-4000-8000-000000000001","iat":1700000000,"exp":1700003600}"#,
        #"{"exp":1700003600.75,"role":"anon","nbf":1699999999,"aud":"authenticated","iss":"https://x/auth/v1"}"#,
        #"{"exp":1700003600,"role":"r","aud":["a","b"],"sub":""}"#,
        #"{"exp":1700003600,"role":"r","aud":["a",1]}"#, #"{"exp":1700003600,"role":"r","aud":[]}"#,
        #"{"exp":1700003600,"role":"r","aud":{"a":1}}"#, #"{"exp":1700003600,"role":"r","aud":null}"#,
        #"{"exp":"1700003600","role":5,"sub":true,"nbf":"0","iss":[]}"#, #"{"exp":null,"role":null}"#,
        #"{"exp":1,"exp":2,"role":"a","role":"b"}"#, #"{"exp":"x","exp":5,"role":"a"}"#,
        #"{"exp":1,}"#, #"{"exp":01,"role":"a"}"#, #"{"exp":1e400,"role":"a"}"#, #"{"exp":1E2,"role":"a"}"#,
        #"{"exp":1e-400,"nbf":1e400,"role":"a"}"#, #"{"exp":-0,"role":"a"}"#, #"{"exp":-1.5,"role":"a"}"#,
        "{\"exp\":1" + String(repeating: "0", count: 400) + ",\"role\":\"a\"}",
        #"{"exp":12345678901234567890123,"role":"a"}"#, #"{"exp":1.00000000000000000000000000001,"role":"a"}"#,
        #"{"exp":1,"role":"\ud800"}"#, #"{"exp":1,"role":"\u0061\n\/"}"#, #"{"exp":1,"r\u006fle":"a"}"#,
        "{\"exp\":1,\"role\":\"a\u{0}\"}", "{\"exp\":1,\"role\":\"\u{e9}t\u{e9} \u{1F600}\"}",
        "  {\"exp\":1 ,\n\"role\" : \"a\"}\t", #"{"exp":1,"role":"a"} x"#, #"{"exp":1,"role":"a"}}"#,
        #"[{"exp":1}]"#, #""exp""#, "1", "null", "", "{", #"{"exp"}"#, #"{"exp":1,"role":"a","x":[[[[[[]]]]]]}"#,
        "{\"exp\":1,\"x\":" + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "}",
        #"{"exp":1,"role":"a","x":{"y":"z"},"sub":"s"}"#, #"{"exp":tru}"#, #"{"exp":true,"role":false}"#,
    ]

    func testClaimsAreReadAsJSONDecoderReadsThem() {
        for payload in payloads {
            var bytes = Array(payload.utf8)
            XCTAssertEqual(TokenClaims.decode(bytes), Self.foundationClaims(bytes), payload)
            bytes.append(0xFF)  // invalid UTF-8 after the value
            XCTAssertEqual(TokenClaims.decode(bytes), Self.foundationClaims(bytes), payload + " + 0xFF")
        }
        let invalidInString: [UInt8] = Array(#"{"exp":1,"role":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        XCTAssertEqual(TokenClaims.decode(invalidInString), Self.foundationClaims(invalidInString))
    }

    func testHeadersAreReadAsJSONDecoderReadsThem() {
        let headers = [
            #"{"alg":"HS256","typ":"JWT"}"#, #"{"alg":"RS256","kid":"k1"}"#, #"{"alg":1,"kid":null,"typ":[]}"#,
            #"{"alg":"HS256","alg":"none"}"#, #"{"alg":"HS\u0032\u0035\u0036"}"#, #"{"alg":"HS256",}"#, "{}",
            #"["alg"]"#, "", #"{"alg":"HS256"}x"#, "{\"alg\":\"HS256\u{1}\"}",
        ]
        for header in headers {
            let bytes = Array(header.utf8)
            XCTAssertEqual(JOSEHeader.decode(bytes), try? JSONDecoder().decode(JOSEHeader.self, from: Data(bytes)),
                           header)
        }
    }

    /// What a plain token carries is read without `JSONDecoder`; hostile spellings go to it.
    func testPlainClaimsTakeTheDirectPath() throws {
        let plain = try XCTUnwrap(TokenJSON.plainObject(Array(payloads[0].utf8)))
        XCTAssertEqual(TokenClaims(plain: plain)?.subject, "00000000-0000-4000-8000-000000000001")
        XCTAssertNil(TokenJSON.plainObject(Array(#"{"exp":1,"role":"\u0061"}"#.utf8)))
        XCTAssertNil(TokenJSON.plainObject(Array(#"{"exp":1,}"#.utf8)))
        let exponent = try XCTUnwrap(TokenJSON.plainObject(Array(#"{"exp":1e3}"#.utf8)))
        XCTAssertNil(TokenClaims(plain: exponent))
    }

    func testBase64URLDecodesAsFoundationDoes() {
        let texts = [
            "", "QQ", "QR", "QUE", "QUF", "QUJD", "QUJDRA", "Q", "QUJDR", "_-_-", "a+b/", "QQ==", "QQ=", "a b",
            "eyJhbGciOiJIUzI1NiJ9", "AAAA", "////", "____", "é", String(repeating: "z", count: 4097),
        ]
        for text in texts {
            XCTAssertEqual(Base64URL.decode(text), Self.foundationBase64URL(text), text)
        }
        for length in 0..<70 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            XCTAssertEqual(Base64URL.decode(Base64URL.encode(bytes)), bytes)
        }
    }

    /// Splitting at the byte `.` accepts exactly the texts the split into three segments accepted.
    func testCompactTokenSplitsAsBefore() {
        let header = Base64URL.encode(Array(#"{"alg":"HS256"}"#.utf8))
        let payload = Base64URL.encode(Array(#"{"exp":1,"role":"a"}"#.utf8))
        let texts = [
            "\(header).\(payload).c2ln", "\(header).\(payload).", "\(header)..c2ln", ".\(payload).c2ln",
            "\(header).\(payload)", "\(header).\(payload).c2ln.", "\(header).\(payload).c2ln.x", "..", ".", "",
            "\(header)", "\(header).\(payload).c2l", "\(header).\(payload).c2lé", "é.\(payload).c2ln",
        ]
        for text in texts {
            let segments = text.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
                .map(Substring.init)
            let before: (JOSEHeader, TokenClaims, [UInt8], [UInt8])? = {
                guard segments.count == 3, !segments[0].isEmpty, !segments[1].isEmpty,
                      let h = Base64URL.decode(segments[0]), let p = Base64URL.decode(segments[1]),
                      let signature = Base64URL.decode(segments[2]),
                      let header = try? JSONDecoder().decode(JOSEHeader.self, from: Data(h)),
                      let claims = try? JSONDecoder().decode(TokenClaims.self, from: Data(p))
                else { return nil }
                return (header, claims, signature, Array((segments[0] + "." + segments[1]).utf8))
            }()
            let now = CompactToken(parsing: text)
            XCTAssertEqual(now?.header, before?.0, text)
            XCTAssertEqual(now?.claims, before?.1, text)
            XCTAssertEqual(now?.signature, before?.2, text)
            XCTAssertEqual(now?.signingInput, before?.3, text)
        }
    }

    private static func foundationClaims(_ bytes: [UInt8]) -> TokenClaims? {
        try? JSONDecoder().decode(TokenClaims.self, from: Data(bytes))
    }

    /// The decoder this one replaced: strict alphabet, standard alphabet and padding, then Foundation.
    private static func foundationBase64URL(_ text: String) -> [UInt8]? {
        var standard = ""
        for character in text {
            switch character {
            case "A"..."Z", "a"..."z", "0"..."9": standard.append(character)
            case "-": standard.append("+")
            case "_": standard.append("/")
            default: return nil
            }
        }
        guard standard.count % 4 != 1 else { return nil }
        standard += String(repeating: "=", count: (4 - standard.count % 4) % 4)
        return Data(base64Encoded: standard).map(Array.init)
    }
}
