import Foundation
import NIOCore
import NIOWebSocket
import RallyProtocol
import RallyWebSocket
import XCTest
@testable import RallyHub

/// A fake socket: records every frame the hub sends, in order, and lets a test wait for a condition with a deadline.
final class RecordingTransport: SessionTransport, @unchecked Sendable {
    struct Frame {
        let isBinary: Bool
        let bytes: ByteBuffer
        /// Text frames parsed as JSON (nil for binary).
        var json: JSON? { isBinary ? nil : try? JSON.parse(bytes) }
    }

    let eventLoop: EventLoop
    private let condition = NSCondition()
    private var frames: [Frame] = []
    private(set) var closeCode: WebSocketErrorCode?

    init(eventLoop: EventLoop) { self.eventLoop = eventLoop }

    func send(_ message: WebSocketMessage) {
        switch message {
        case .text(let bytes): record(Frame(isBinary: false, bytes: bytes))
        case .binary(let bytes): record(Frame(isBinary: true, bytes: bytes))
        }
    }

    func send(_ frame: SharedFrame) {
        record(Frame(isBinary: frame.isBinary, bytes: Self.payload(ofWireFrame: frame.wireBytes(for: nil))))
    }

    func close(code: WebSocketErrorCode, reason: String) {
        condition.lock()
        closeCode = code
        condition.broadcast()
        condition.unlock()
    }

    /// The payload of an unmasked single server frame (2, 4 or 10 header bytes).
    static func payload(ofWireFrame wire: ByteBuffer) -> ByteBuffer {
        let lengthByte = wire.getInteger(at: wire.readerIndex + 1, as: UInt8.self)! & 0x7F
        let headerLength = lengthByte == 127 ? 10 : lengthByte == 126 ? 4 : 2
        return wire.getSlice(at: wire.readerIndex + headerLength, length: wire.readableBytes - headerLength)!
    }

    private func record(_ frame: Frame) {
        condition.lock()
        frames.append(frame)
        condition.broadcast()
        condition.unlock()
    }

    var recorded: [Frame] {
        condition.lock()
        defer { condition.unlock() }
        return frames
    }

    /// Waits (up to `timeout`) until some recorded frame satisfies `match`, and returns it.
    @discardableResult
    func waitForFrame(timeout: TimeInterval = 5, file: StaticString = #filePath, line: UInt = #line,
                      _ match: (Frame) -> Bool) -> Frame? {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let found = frames.first(where: match) { return found }
            if !condition.wait(until: deadline) {
                XCTFail("no matching frame within \(timeout)s; got \(frames.count) frames", file: file, line: line)
                return nil
            }
        }
    }

    /// The first JSON frame (v1 object or v2 array) whose event and topic match.
    @discardableResult
    func waitForEvent(_ event: String, topic: String? = nil, timeout: TimeInterval = 5,
                      file: StaticString = #filePath, line: UInt = #line) -> JSON? {
        waitForFrame(timeout: timeout, file: file, line: line) { frame in
            guard let json = frame.json else { return false }
            return json.eventName == event && (topic == nil || json.topicName == topic)
        }?.json
    }

    /// Frames whose event is `event` (for "nothing more arrived" checks after a barrier).
    func count(of event: String) -> Int {
        recorded.compactMap(\.json).filter { $0.eventName == event }.count
    }
}

extension JSON {
    /// The event of a v1 object frame or a v2 array frame.
    var eventName: String? { self["event"]?.stringValue ?? arrayValue.flatMap { $0.count > 3 ? $0[3].stringValue : nil } }
    var topicName: String? { self["topic"]?.stringValue ?? arrayValue.flatMap { $0.count > 2 ? $0[2].stringValue : nil } }
    var payloadValue: JSON? { self["payload"] ?? arrayValue.flatMap { $0.count > 4 ? $0[4] : nil } }
    var refValue: JSON? { self["ref"] ?? arrayValue.flatMap { $0.count > 1 ? $0[1] : nil } }
}
