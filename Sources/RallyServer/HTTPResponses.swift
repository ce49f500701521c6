import NIOCore
import NIOHTTP1
import RallyProtocol
import RallyWebSocket

/// Small builders for the JSON and text responses Rally sends.
enum Responses {
    static func json(_ status: HTTPResponseStatus, _ body: JSON) -> HTTPResponse {
        var buffer = ByteBuffer()
        body.write(to: &buffer)
        return HTTPResponse(status: status, headers: ["content-type": "application/json"], body: buffer)
    }

    /// `{"error": message}`: Supabase's body for a refused socket.
    static func connectError(_ status: HTTPResponseStatus, _ message: String) -> HTTPResponse {
        json(status, .object(["error": .string(message)]))
    }

    /// `{"message": message}`: Supabase's body for REST errors.
    static func message(_ status: HTTPResponseStatus, _ message: String) -> HTTPResponse {
        json(status, .object(["message": .string(message)]))
    }

    static func text(_ status: HTTPResponseStatus, _ body: String, contentType: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["content-type": contentType], body: ByteBuffer(string: body))
    }

    static func bytes(_ body: [UInt8], contentType: String) -> HTTPResponse {
        HTTPResponse(status: .ok, headers: ["content-type": contentType], body: ByteBuffer(bytes: body))
    }

    static let notFound = message(.notFound, "Not found")
    static let accepted = HTTPResponse(status: .accepted)
}
