@testable import RallyServer
import XCTest

/// Request targets: path and query split on bytes, first value of a repeated key wins, escapes decoded.
final class RequestTargetTests: XCTestCase {
    func testPathAndQuery() {
        let target = RequestTarget("/socket/websocket?apikey=a.b-c_d&vsn=2.0.0&apikey=other")
        XCTAssertEqual(target.path, "/socket/websocket")
        XCTAssertEqual(target.query, ["apikey": "a.b-c_d", "vsn": "2.0.0"])
    }

    func testEdgeCases() {
        XCTAssertEqual(RequestTarget("/healthz").path, "/healthz")
        XCTAssertEqual(RequestTarget("/healthz").query, [:])
        XCTAssertEqual(RequestTarget("/a?").query, [:])
        XCTAssertEqual(RequestTarget("/a?&&flag&=x&k=v=w").query, ["flag": "", "": "x", "k": "v=w"])
        XCTAssertEqual(RequestTarget("/é?ключ=значение").query, ["ключ": "значение"])
        XCTAssertEqual(RequestTarget("/é?ключ=значение").path, "/é")
    }

    func testEscapesAreDecoded() {
        XCTAssertEqual(RequestTarget("/x?a%20b=c+d%2Be&bad=%zz%4").query, ["a b": "c d+e", "bad": "%zz%4"])
    }
}
