import NIOCore
import NIOHTTP1
import XCTest

@testable import RallyWebSocket

final class HTTPConnectionStateMachineTests: XCTestCase {
    private var machine = HTTPConnectionStateMachine(maxBodySize: 10)

    private func head(_ uri: String = "/", headers: HTTPHeaders = [:], version: HTTPVersion = .http1_1) -> HTTPRequestHead {
        HTTPRequestHead(version: version, method: .POST, uri: uri, headers: headers)
    }

    func testBodyIsCollectedThenTheRequestDispatched() {
        guard case .none = machine.received(.head(head())) else { return XCTFail() }
        _ = machine.received(.body(ByteBuffer(string: "hello ")))
        _ = machine.received(.body(ByteBuffer(string: "you")))
        guard case .respond(let dispatched, let body) = machine.received(.end(nil)) else { return XCTFail() }
        XCTAssertEqual(dispatched.uri, "/")
        XCTAssertEqual(String(buffer: body), "hello you")
        XCTAssertTrue(machine.responseSent(responseAllowsKeepAlive: true))
        guard case .idle = machine.state else { return XCTFail("ready for the next request") }
    }

    func testPipelinedRequestWaitsForTheResponse() {
        _ = machine.received(.head(head()))
        _ = machine.received(.end(nil))
        guard case .holdForLater = machine.received(.head(head("/second"))) else { return XCTFail() }
    }

    func testBodyOverTheLimitIsRefusedWith413WhileArriving() {
        _ = machine.received(.head(head()))
        _ = machine.received(.body(ByteBuffer(string: "123456")))
        guard case .refuseAndClose(let response) = machine.received(.body(ByteBuffer(string: "78901"))) else {
            return XCTFail()
        }
        XCTAssertEqual(response.status, .payloadTooLarge)
    }

    func testDeclaredLengthOverTheLimitIsRefusedAtTheHead() {
        guard case .refuseAndClose(let response) = machine.received(.head(head(headers: ["Content-Length": "11"]))) else {
            return XCTFail()
        }
        XCTAssertEqual(response.status, .payloadTooLarge)
    }

    func testConnectionCloseAndHTTP10WithoutKeepAliveEndTheConnection() {
        for request in [head(headers: ["Connection": "close"]), head(version: .http1_0), head(headers: ["Upgrade": "h2c", "Connection": "Upgrade"])] {
            machine = HTTPConnectionStateMachine(maxBodySize: 10)
            _ = machine.received(.head(request))
            _ = machine.received(.end(nil))
            XCTAssertFalse(machine.responseSent(responseAllowsKeepAlive: true), "\(request.headers)")
        }
        machine = HTTPConnectionStateMachine(maxBodySize: 10)
        _ = machine.received(.head(head()))
        _ = machine.received(.end(nil))
        XCTAssertFalse(machine.responseSent(responseAllowsKeepAlive: false), "the response said close")
    }

    func testHandshakeIsHandedToTheUpgradeDecisionAtItsEnd() {
        let handshake = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/socket", headers: [
            "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        ])
        _ = machine.received(.head(handshake))
        guard case .decideUpgrade(_, let key) = machine.received(.end(nil)) else { return XCTFail() }
        XCTAssertEqual(key, "dGhlIHNhbXBsZSBub25jZQ==")
    }
}
