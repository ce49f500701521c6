// The wire formats the floor speaks, as pure functions: an HTTP/1.1 request head, the WebSocket handshake answer,
// a server frame, a client frame. Only what a subscriber, a publisher and the load generator use; anything else
// is refused (the connection closes).
import Crypto
import Foundation
import NIOCore

/// One HTTP/1.1 request head: method, path and the three headers the floor reads.
struct FloorRequest: Equatable {
    var method: Substring
    var path: Substring
    var webSocketKey: Substring?
    var contentLength: Int = 0

    static let maxHeadBytes = 8 * 1024
    static let maxBodyBytes = 64 * 1024

    /// Parses the head ending with the buffer's first `\r\n\r\n`. `.incomplete` until it has arrived;
    /// `.invalid` when it is not a request the floor answers (or it is too long).
    static func parse(_ bytes: ByteBuffer) -> Parsed {
        let view = bytes.readableBytesView
        guard let end = headEnd(in: view) else {
            return view.count > maxHeadBytes ? .invalid : .incomplete
        }
        guard end <= maxHeadBytes, let text = String(bytes: view.prefix(end), encoding: .utf8) else { return .invalid }
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count == 3, requestLine[2] == "HTTP/1.1" else { return .invalid }
        var request = FloorRequest(method: requestLine[0], path: requestLine[1])
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { return .invalid }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].drop(while: { $0 == " " })
            if name == "sec-websocket-key" { request.webSocketKey = value }
            if name == "content-length" {
                guard let length = Int(value), (0...maxBodyBytes).contains(length) else { return .invalid }
                request.contentLength = length
            }
        }
        return .complete(request, headBytes: end + 4)
    }

    enum Parsed: Equatable {
        case incomplete
        case invalid
        case complete(FloorRequest, headBytes: Int)
    }

    /// Offset of the first `\r\n\r\n`.
    private static func headEnd(in view: ByteBufferView) -> Int? {
        var index = view.startIndex
        while let cr = view[index...].firstIndex(of: 13) {
            let offset = cr - view.startIndex
            if view.count - offset < 4 { return nil }
            if view[cr + 1] == 10, view[cr + 2] == 13, view[cr + 3] == 10 { return offset }
            index = cr + 1
        }
        return nil
    }
}

enum FloorResponse {
    static func switching(key: Substring) -> String {
        let digest = Insecure.SHA1.hash(data: Data((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8))
        return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: \(Data(digest).base64EncodedString())\r\n\r\n"
    }

    static let accepted = "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"
    static let ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    static let notFound = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
}

enum FloorFrame {
    /// A server frame (unmasked, final) with `payload`.
    static func encode(opcode: UInt8, payload: some Collection<UInt8>, allocator: ByteBufferAllocator) -> ByteBuffer {
        var frame = allocator.buffer(capacity: payload.count + 10)
        frame.writeInteger(0x80 | opcode)
        switch payload.count {
        case ..<126: frame.writeInteger(UInt8(payload.count))
        case ..<65_536: frame.writeInteger(UInt8(126)); frame.writeInteger(UInt16(payload.count))
        default: frame.writeInteger(UInt8(127)); frame.writeInteger(UInt64(payload.count))
        }
        frame.writeBytes(payload)
        return frame
    }

    /// One client frame taken off `buffer`: opcode and unmasked payload; nil until it is complete. Throws on what
    /// a client must not send here (an unmasked or fragmented frame, one over `maxPayload`).
    static func decode(_ buffer: inout ByteBuffer, maxPayload: Int) throws -> (opcode: UInt8, payload: [UInt8])? {
        guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self),
              let second = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt8.self) else { return nil }
        guard first & 0x80 != 0, second & 0x80 != 0 else { throw FloorError.badFrame }
        var header = 2
        var length = Int(second & 0x7F)
        if length == 126 {
            guard let extended = buffer.getInteger(at: buffer.readerIndex + 2, as: UInt16.self) else { return nil }
            length = Int(extended)
            header = 4
        } else if length == 127 {
            guard let extended = buffer.getInteger(at: buffer.readerIndex + 2, as: UInt64.self) else { return nil }
            guard extended <= UInt64(maxPayload) else { throw FloorError.badFrame }
            length = Int(extended)
            header = 10
        }
        guard length <= maxPayload else { throw FloorError.badFrame }
        guard buffer.readableBytes >= header + 4 + length else { return nil }
        buffer.moveReaderIndex(forwardBy: header)
        let mask = buffer.readBytes(length: 4)!
        var payload = buffer.readBytes(length: length)!
        for index in payload.indices { payload[index] ^= mask[index & 3] }
        return (first & 0x0F, payload)
    }
}

struct FloorError: Error {
    static let badFrame = FloorError()
}
