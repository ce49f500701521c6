import Foundation
import NIOCore
import NIOWebSocket
import RallyHub
import RallyProtocol
import RallyTestSupport
import RallyWebSocket
import XCTest

/// A fake socket: records every frame the hub sends, in order, and lets a test wait for a condition with a deadline.
public final class RecordingTransport: SessionTransport, @unchecked Sendable {
    public struct Frame {
        public let isBinary: Bool
        public let bytes: ByteBuffer
        /// Text frames parsed as JSON (nil for binary).
        public var json: JSON? { isBinary ? nil : try? JSON.parse(bytes) }
    }

    public let eventLoop: EventLoop
    private let frames = Recorder<Frame>(noun: "frame")
    private let lock = NSLock()
    private var closedWith: WebSocketErrorCode?

    public init(eventLoop: EventLoop) { self.eventLoop = eventLoop }

    public var closeCode: WebSocketErrorCode? { lock.withLock { closedWith } }

    public func send(_ message: WebSocketMessage) {
        switch message {
        case .text(let bytes): frames.record(Frame(isBinary: false, bytes: bytes))
        case .binary(let bytes): frames.record(Frame(isBinary: true, bytes: bytes))
        }
    }

    public func send(_ frame: SharedFrame) {
        frames.record(Frame(isBinary: frame.isBinary, bytes: Self.payload(ofWireFrame: frame.wireBytes(for: nil))))
    }

    public func close(code: WebSocketErrorCode, reason: String) {
        lock.withLock { closedWith = code }
    }

    /// The payload of an unmasked single server frame (2, 4 or 10 header bytes).
    public static func payload(ofWireFrame wire: ByteBuffer) -> ByteBuffer {
        let lengthByte = wire.getInteger(at: wire.readerIndex + 1, as: UInt8.self)! & 0x7F
        let headerLength = lengthByte == 127 ? 10 : lengthByte == 126 ? 4 : 2
        return wire.getSlice(at: wire.readerIndex + headerLength, length: wire.readableBytes - headerLength)!
    }

    public var recorded: [Frame] { frames.all }

    /// Waits (up to `timeout`) until some recorded frame satisfies `match`, and returns it.
    @discardableResult
    public func waitForFrame(timeout: TimeInterval = 5, file: StaticString = #filePath, line: UInt = #line,
                             _ match: (Frame) -> Bool) -> Frame? {
        frames.first(timeout: timeout, file: file, line: line, where: match)
    }

    /// The first JSON frame (v1 object or v2 array) whose event and topic match.
    @discardableResult
    public func waitForEvent(_ event: String, topic: String? = nil, timeout: TimeInterval = 5,
                             file: StaticString = #filePath, line: UInt = #line) -> JSON? {
        waitForFrame(timeout: timeout, file: file, line: line) { frame in
            guard let json = frame.json else { return false }
            return json.eventName == event && (topic == nil || json.topicName == topic)
        }?.json
    }

    /// Frames whose event is `event` (for "nothing more arrived" checks after a barrier).
    public func count(of event: String) -> Int {
        recorded.compactMap(\.json).filter { $0.eventName == event }.count
    }
}

extension JSON {
    /// The event of a v1 object frame or a v2 array frame.
    public var eventName: String? {
        self["event"]?.stringValue ?? arrayValue.flatMap { $0.count > 3 ? $0[3].stringValue : nil }
    }
    public var topicName: String? {
        self["topic"]?.stringValue ?? arrayValue.flatMap { $0.count > 2 ? $0[2].stringValue : nil }
    }
    public var payloadValue: JSON? { self["payload"] ?? arrayValue.flatMap { $0.count > 4 ? $0[4] : nil } }
    public var refValue: JSON? { self["ref"] ?? arrayValue.flatMap { $0.count > 1 ? $0[1] : nil } }
}
