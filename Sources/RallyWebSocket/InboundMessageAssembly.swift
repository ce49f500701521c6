// One inbound data message being assembled from its frames: unmasking, inflating (RFC 7692),
// size limit and incremental UTF-8 validation, failing as soon as a violation is visible.
import NIOCore
import NIOWebSocket

/// Why an inbound message or frame was refused, as the close code and reason to fail with.
struct InboundViolation: Error, Equatable {
    var code: UInt16
    var reason: String

    init(code: UInt16, reason: String) {
        self.code = code
        self.reason = reason
    }

    init(code: WebSocketErrorCode, reason: String) {
        self.init(code: code.wireValue, reason: reason)
    }

    /// The violation an error stands for (anything unexpected is the server's fault: 1011).
    init(_ error: Error) {
        self = error as? InboundViolation ?? InboundViolation(code: RallyCloseCode.unexpectedCondition, reason: "internal error")
    }

    static func protocolError(_ reason: String) -> InboundViolation { .init(code: RallyCloseCode.protocolError, reason: reason) }
    static let invalidUTF8 = InboundViolation(code: RallyCloseCode.invalidData, reason: "invalid UTF-8 in text message")
    static let messageTooLarge = InboundViolation(code: RallyCloseCode.messageTooLarge, reason: "message too large")
}

struct InboundMessageAssembly {
    let isText: Bool
    let isCompressed: Bool
    private(set) var payload: ByteBuffer
    private var utf8 = UTF8Validator()
    private static let initialCapacityLimit = 64 * 1024

    init(isText: Bool, isCompressed: Bool, firstFrameLength: Int) {
        self.isText = isText
        self.isCompressed = isCompressed
        let expected = isCompressed ? firstFrameLength * 2 : firstFrameLength
        self.payload = ByteBuffer()
        self.payload.reserveCapacity(min(expected, Self.initialCapacityLimit))
    }

    /// Appends an uncompressed, still masked chunk of payload.
    mutating func appendPlain(_ chunk: inout ByteBuffer, maskingKey: UInt32?, maskOffset: Int) throws {
        let start = self.payload.writerIndex
        self.payload.writeBuffer(&chunk)
        try self.unmaskAndValidate(from: start, maskingKey: maskingKey, maskOffset: maskOffset)
    }

    /// Unmasks a compressed chunk and inflates it into the payload, bounded by `limit`.
    mutating func appendCompressed(
        _ chunk: inout ByteBuffer, maskingKey: UInt32?, maskOffset: Int, inflater: MessageInflater, limit: Int
    ) throws {
        if let maskingKey { FrameMask.apply(key: maskingKey, offset: maskOffset, to: &chunk) }
        try chunk.withUnsafeReadableBytes { (bytes) in
            try self.inflate(bytes, with: inflater, limit: limit)
        }
    }

    /// Completes the message: inflates the stripped `00 00 ff ff` tail and checks the UTF-8 ends cleanly.
    mutating func finish(inflater: MessageInflater?, limit: Int) throws -> WebSocketMessage {
        if self.isCompressed, let inflater {
            let tail: [UInt8] = [0x00, 0x00, 0xFF, 0xFF]
            try tail.withUnsafeBytes { (bytes) in
                try self.inflate(bytes, with: inflater, limit: limit)
            }
        }
        guard !self.isText || self.utf8.isComplete else { throw InboundViolation.invalidUTF8 }
        return self.isText ? .text(self.payload) : .binary(self.payload)
    }

    private mutating func inflate(_ bytes: UnsafeRawBufferPointer, with inflater: MessageInflater, limit: Int) throws {
        let start = self.payload.writerIndex
        do {
            try inflater.inflate(bytes, into: &self.payload, limit: limit)
        } catch ZlibError.outputLimitExceeded {
            throw InboundViolation.messageTooLarge
        } catch {
            throw InboundViolation(code: RallyCloseCode.invalidData, reason: "invalid compressed data")
        }
        try self.unmaskAndValidate(from: start, maskingKey: nil, maskOffset: 0)
    }

    /// Unmasks the bytes written since `start` and feeds text to the UTF-8 validator.
    private mutating func unmaskAndValidate(from start: Int, maskingKey: UInt32?, maskOffset: Int) throws {
        guard maskingKey != nil || self.isText, self.payload.writerIndex > start else { return }
        let base = self.payload.readerIndex
        var validator = self.utf8
        let isText = self.isText
        let valid = self.payload.withUnsafeMutableReadableBytes { all -> Bool in
            let region = UnsafeMutableRawBufferPointer(rebasing: all[(start - base)...])
            if let maskingKey { FrameMask.apply(key: maskingKey, offset: maskOffset, to: region) }
            return !isText || validator.feed(UnsafeRawBufferPointer(region))
        }
        self.utf8 = validator
        guard valid else { throw InboundViolation.invalidUTF8 }
    }
}

/// Close frame bodies (RFC 6455 §5.5.1, §7.4).
enum CloseFrameBody {
    /// The close code a peer sent, nil for an empty body; throws for a malformed body.
    static func parse(_ body: ByteBuffer) throws -> UInt16? {
        var body = body
        if body.readableBytes == 0 { return nil }
        guard let code = body.readInteger(as: UInt16.self) else {
            throw InboundViolation.protocolError("close frame with a one-byte body")
        }
        guard isValidReceivedCode(code) else { throw InboundViolation.protocolError("invalid close code \(code)") }
        let reasonIsValid = body.withUnsafeReadableBytes { UTF8Validator.isValid($0) }
        guard reasonIsValid else { throw InboundViolation(code: RallyCloseCode.invalidData, reason: "close reason is not UTF-8") }
        return code
    }

    /// Codes a peer may send: the defined 1000–1003 and 1007–1014 (1012–1014 are IANA-registered and
    /// Rally itself sends 1012 and 1013), and 3000–4999 for libraries and applications. 1004, 1005,
    /// 1006 and 1015 must never appear on the wire.
    static func isValidReceivedCode(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: return true
        default: return false
        }
    }
}
