import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1
import XCTest

@testable import RallyWebSocket

final class HandshakeTests: XCTestCase {
    private func head(_ headers: HTTPHeaders, method: HTTPMethod = .GET) -> HTTPRequestHead {
        HTTPRequestHead(version: .http1_1, method: method, uri: "/socket", headers: headers)
    }

    private let validHeaders: HTTPHeaders = [
        "Host": "localhost", "Upgrade": "websocket", "Connection": "keep-alive, Upgrade",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version": "13",
    ]

    func testAcceptValueMatchesTheRFCExample() {
        XCTAssertEqual(HandshakeDigest.acceptValue(forKey: "dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    func testSHA1MatchesKnownDigests() {
        let hex = { (bytes: [UInt8]) in bytes.map { String(format: "%02x", $0) }.joined() }
        XCTAssertEqual(hex(SHA1.digest([])), "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        XCTAssertEqual(hex(SHA1.digest(Array(String(repeating: "a", count: 1000).utf8))),
                       "291e9a6c66994949b57ba5e650361e98fc36b1ba")
    }

    func testKeyMustBeSixteenBytesOfBase64() {
        XCTAssertTrue(HandshakeDigest.isValidKey("dGhlIHNhbXBsZSBub25jZQ=="))
        XCTAssertFalse(HandshakeDigest.isValidKey("dGhlIHNhbXBsZQ=="))
        XCTAssertFalse(HandshakeDigest.isValidKey("not base64 at all!!!!!!="))
        XCTAssertFalse(HandshakeDigest.isValidKey(""))
    }

    func testValidHandshakeIsRecognised() {
        XCTAssertEqual(UpgradeRequestCheck(head(validHeaders)), .valid(key: "dGhlIHNhbXBsZSBub25jZQ=="))
    }

    func testPlainRequestIsNotAHandshake() {
        XCTAssertEqual(UpgradeRequestCheck(head(["Host": "localhost"])), .notWebSocket)
        XCTAssertEqual(UpgradeRequestCheck(head(["Upgrade": "h2c", "Connection": "Upgrade"])), .notWebSocket)
    }

    func testWrongVersionIsRefusedWith426NamingVersion13() {
        var headers = validHeaders
        headers.replaceOrAdd(name: "Sec-WebSocket-Version", value: "8")
        let refusal = UpgradeRequestCheck(head(headers)).refusal
        XCTAssertEqual(refusal?.status, .upgradeRequired)
        XCTAssertEqual(refusal?.headers["Sec-WebSocket-Version"], ["13"])
    }

    func testBrokenHandshakesAreRefusedWith400() {
        var noKey = validHeaders
        noKey.remove(name: "Sec-WebSocket-Key")
        var noConnection = validHeaders
        noConnection.remove(name: "Connection")
        var twoKeys = validHeaders
        twoKeys.add(name: "Sec-WebSocket-Key", value: "dGhlIHNhbXBsZSBub25jZQ==")
        for request in [head(noKey), head(noConnection), head(twoKeys), head(validHeaders, method: .POST)] {
            XCTAssertEqual(UpgradeRequestCheck(request).refusal?.status, .badRequest, "\(request.headers)")
        }
    }

    func testSwitchingProtocolsHeadCarriesAcceptExtensionsAndExtraHeaders() {
        let head = SwitchingProtocolsResponse.head(
            key: "dGhlIHNhbXBsZSBub25jZQ==", extensions: "permessage-deflate; server_no_context_takeover",
            extraHeaders: ["Sec-WebSocket-Protocol": "phoenix"]
        )
        XCTAssertEqual(head.status, .switchingProtocols)
        XCTAssertEqual(head.headers["Sec-WebSocket-Accept"], ["s3pPLMBiTxaQ9kYGzzhZRbK+xOo="])
        XCTAssertEqual(head.headers["Sec-WebSocket-Extensions"], ["permessage-deflate; server_no_context_takeover"])
        XCTAssertEqual(head.headers["Sec-WebSocket-Protocol"], ["phoenix"])
    }

    /// The 101 written as bytes is exactly what NIO's response encoder writes for the same head.
    func testSwitchingProtocolsBytesAreWhatTheEncoderWrites() throws {
        let cases: [(String?, HTTPHeaders)] = [
            (nil, [:]),
            ("permessage-deflate; server_no_context_takeover", ["Sec-WebSocket-Protocol": "phoenix", "X-Two": "2"]),
        ]
        for (extensions, extra) in cases {
            let key = "dGhlIHNhbXBsZSBub25jZQ=="
            let channel = EmbeddedChannel(handler: HTTPResponseEncoder())
            let head = SwitchingProtocolsResponse.head(key: key, extensions: extensions, extraHeaders: extra)
            try channel.writeOutbound(HTTPServerResponsePart.head(head))
            var encoded = ByteBuffer()
            while let part = try channel.readOutbound(as: IOData.self) {
                guard case .byteBuffer(var bytes) = part else { return XCTFail("a file region") }
                encoded.writeBuffer(&bytes)
            }
            let direct = SwitchingProtocolsResponse.bytes(
                key: key, extensions: extensions, extraHeaders: extra, allocator: channel.allocator)
            XCTAssertEqual(String(buffer: direct), String(buffer: encoded))
            _ = try channel.finish()
        }
    }
}
