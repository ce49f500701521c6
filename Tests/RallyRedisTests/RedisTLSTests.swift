import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import RallyTestSupport
import XCTest

@testable import RallyRedis

/// `rediss://` against a redis-server started by the test with a certificate from a throw-away CA (made with the
/// `openssl` command), listening on loopback with TLS only and a password.
final class RedisTLSTests: XCTestCase {
    private var group: MultiThreadedEventLoopGroup!
    private var directory: URL!
    private var server: Process?
    private var port = 0
    private let password = "tls secret"

    override func setUpWithError() throws {
        _ = try TestRedis.url()  // same opt-out and message as the other tests that need Redis
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("rally-tls-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try makeCertificates()
        port = try TestRedisCluster.freePort(group: group)
        let process = Process()
        process.executableURL = try TestRedisCluster.serverBinary()
        process.arguments = ["--port", "0", "--tls-port", String(port), "--bind", "127.0.0.1",
                             "--tls-cert-file", path("server.crt"), "--tls-key-file", path("server.key"),
                             "--tls-ca-cert-file", path("ca.crt"), "--tls-auth-clients", "no",
                             "--requirepass", password, "--save", "", "--appendonly", "no",
                             "--dir", directory.path, "--logfile", path("redis.log")]
        try process.run()
        server = process
    }

    override func tearDown() {
        if let server, server.isRunning {
            server.terminate()
            server.waitUntilExit()
        }
        if let directory { try? FileManager.default.removeItem(at: directory) }
        try? group?.syncShutdownGracefully()
    }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    private func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "openssl \(arguments.joined(separator: " "))")
    }

    /// A CA, and a server certificate it signs for `localhost` and 127.0.0.1.
    private func makeCertificates() throws {
        try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=Rally Test CA",
                     "-keyout", path("ca.key"), "-out", path("ca.crt")])
        try openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
                     "-keyout", path("server.key"), "-out", path("server.csr")])
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\n".write(toFile: path("san.ext"), atomically: true,
                                                                encoding: .utf8)
        try openssl(["x509", "-req", "-in", path("server.csr"), "-CA", path("ca.crt"), "-CAkey", path("ca.key"),
                     "-CAcreateserial", "-days", "1", "-extfile", path("san.ext"), "-out", path("server.crt")])
    }

    private func configuration(host: String) throws -> RedisConfiguration {
        var configuration = try RedisConfiguration(url: "rediss://:tls%20secret@\(host):\(port)/1",
                                                   clientName: "rally-test-tls")
        configuration.connectTimeout = .seconds(5)
        return configuration
    }

    /// Waits for the server to listen, then connects once.
    private func connectOnce(_ configuration: RedisConfiguration) throws -> Channel {
        let connector = try RedisConnector(configuration: configuration)
        try waitUntil("the TLS redis-server listens") {
            (try? ClientBootstrap(group: group).connect(host: "127.0.0.1", port: port).wait().close().wait()) != nil
        }
        return try connector.connect(on: group.next()).wait(timeout: .seconds(10), "TLS connect")
    }

    func testTrustingTheCAConnectsWithPasswordAuthAndSelect() throws {
        var configuration = try configuration(host: "localhost")
        configuration.tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(path("ca.crt")))
        _ = try? connectOnce(configuration).close().wait()  // Redis answers close_notify with a bare TCP close
        let connection = try RedisConnection.connect(configuration: configuration, eventLoop: group.next())
            .wait(timeout: .seconds(10), "connect")
        defer { try? connection.shutdown().wait(timeout: .seconds(5)) }
        XCTAssertEqual(try connection.send(["PING"]).wait(timeout: .seconds(5)), .simpleString("PONG"))
        let info = try connection.send(["CLIENT", "INFO"]).wait(timeout: .seconds(5)).string ?? ""
        XCTAssertTrue(info.contains(" db=1 ") && info.contains("name=rally-test-tls"), info)
    }

    func testTheSystemTrustRootsRefuseAPrivateCA() throws {
        XCTAssertThrowsError(try connectOnce(configuration(host: "localhost"))) { error in
            XCTAssertTrue(error is NIOSSLError, "\(error)")
        }
    }

    func testVerificationCanBeTurnedOffForTests() throws {
        var configuration = try configuration(host: "127.0.0.1")
        configuration.tls.certificateVerification = .none
        let channel = try connectOnce(configuration)
        _ = try? channel.close().wait()
    }
}
