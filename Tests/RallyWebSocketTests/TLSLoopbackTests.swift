import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import XCTest

@testable import RallyWebSocket

/// wss: the same upgrade and echo over TLS from certificate files.
final class TLSLoopbackTests: XCTestCase {
    /// A self-signed P-256 certificate for localhost/127.0.0.1, valid for 100 years (test only).
    private static let certificatePEM = """
-----BEGIN CERTIFICATE-----
MIIBnDCCAUGgAwIBAgIUTSNQGRUliUp5zmI0ySB5oTsm8b8wCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyMjA0MjEyN1oYDzIxMjYxMDI5
MDQyMTI3WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAARpT7z+UTboT9OmtELQSTnv+VN9bJ7SfcMEJ3MG9qiTmJVzxlWrTRIr
Z9Kb9R626G5zjQLcvMs6+D1H9q5Nls66o28wbTAdBgNVHQ4EFgQUSCfUlZ3g/gBC
uhEW9bVvK7muJbUwHwYDVR0jBBgwFoAUSCfUlZ3g/gBCuhEW9bVvK7muJbUwDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARgglsb2NhbGhvc3SHBH8AAAEwCgYIKoZI
zj0EAwIDSQAwRgIhAPW4lUTFzdftS1qNru1Kraj4rP4T9tKOwI5MMerjFRoEAiEA
0ZEBvE9VTxQtLP3ZY3FBrPfYJAGBM+GbA5aKAgBglUs=
-----END CERTIFICATE-----
"""
    private static let privateKeyPEM = """
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgmlTiM1IyjmFIPzVz
WbizWtVZ35SHVe6K3/Mb1YlBwpWhRANCAARpT7z+UTboT9OmtELQSTnv+VN9bJ7S
fcMEJ3MG9qiTmJVzxlWrTRIrZ9Kb9R626G5zjQLcvMs6+D1H9q5Nls66
-----END PRIVATE KEY-----
"""

    private var group: MultiThreadedEventLoopGroup!
    private var directory: URL!

    override func setUpWithError() throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("rally-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDown() async throws {
        try? FileManager.default.removeItem(at: directory)
        try await group.shutdownGracefully()
    }

    private func writeFile(_ name: String, _ contents: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try contents.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    private func makeServer(certificate: String, key: String) throws -> WebSocketServer {
        var configuration = WebSocketServerConfiguration()
        configuration.port = 0
        configuration.tls = TLSFiles(
            certificateChainPath: try writeFile("cert.pem", certificate), privateKeyPath: try writeFile("key.pem", key)
        )
        return WebSocketServer(configuration: configuration, group: group, delegate: EchoEverywhereDelegate())
    }

    func testEchoOverTLS() async throws {
        let server = try makeServer(certificate: Self.certificatePEM, key: Self.privateKeyPEM)
        let port = try await server.start()
        var clientConfiguration = TLSConfiguration.makeClientConfiguration()
        clientConfiguration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(Self.certificatePEM.utf8)))
        let client = try await LoopbackClient.connect(
            port: port, group: group, tls: try NIOSSLContext(configuration: clientConfiguration)
        )
        let request = "GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        try await client.send(Array(request.utf8) + ClientFrame.text("secure").bytes)
        let reply = try await client.text(containing: "secure")
        XCTAssertTrue(reply.hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"), reply)
        await client.close()
        await server.stopAccepting()
    }

    func testUnreadableKeyFailsStart() async throws {
        let server = try makeServer(certificate: Self.certificatePEM, key: "not a key")
        do {
            _ = try await server.start()
            XCTFail("start must fail without a usable key")
        } catch {}
    }
}

private final class EchoEverywhereDelegate: HTTPServerDelegate {
    func upgradeDecision(for request: HTTPRequest, eventLoop: EventLoop) -> EventLoopFuture<UpgradeDecision> {
        eventLoop.makeSucceededFuture(.upgrade(EchoSessionHandler()))
    }

    func respond(to request: HTTPRequest, eventLoop: EventLoop) -> EventLoopFuture<HTTPResponse> {
        eventLoop.makeSucceededFuture(HTTPResponse(status: .notFound))
    }
}
