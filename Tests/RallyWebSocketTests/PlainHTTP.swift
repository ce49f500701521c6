#if canImport(Glibc)
import Glibc
import NIOCore
import XCTest

@testable import RallyWebSocket

/// A delegate that refuses upgrades and answers every plain request with 200.
final class OKDelegate: HTTPServerDelegate {
    func upgradeDecision(for request: HTTPRequest, eventLoop: EventLoop) -> EventLoopFuture<UpgradeDecision> {
        eventLoop.makeSucceededFuture(.reject(HTTPResponse(status: .notFound)))
    }

    func respond(to request: HTTPRequest, eventLoop: EventLoop) -> EventLoopFuture<HTTPResponse> {
        eventLoop.makeSucceededFuture(HTTPResponse(status: .ok))
    }
}

/// Blocking loopback sockets speaking plain HTTP/1.1, for tests about accepting (no NIO on the client side).
enum PlainHTTP {
    static func connect(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw IOError(errnoCode: errno, reason: "socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            close(fd)
            throw IOError(errnoCode: errno, reason: "connect")
        }
        return fd
    }

    /// A keep-alive GET; the answer read within `timeout` seconds ("" if none came).
    static func request(on socket: Int32, timeout: Double) throws -> String {
        let request = Array("GET /x HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        XCTAssertEqual(write(socket, request, request.count), request.count)
        return Self.read(socket, timeout: timeout)
    }

    /// What arrives on `socket` within `timeout` seconds ("" if nothing).
    static func read(_ socket: Int32, timeout: Double) -> String {
        var limit = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = Glibc.read(socket, &buffer, buffer.count)
        return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : ""
    }
}
#endif
