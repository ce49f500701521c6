// The inbound half of an upgraded connection as a pure state machine: bytes in, events out.
// Frames are consumed as their bytes arrive (a frame's payload is never waited for as a whole), so
// size and UTF-8 violations fail the connection as soon as they are visible.
import NIOCore

/// What the reader found in the inbound byte stream.
enum InboundEvent: Equatable {
    case message(WebSocketMessage)
    case ping(ByteBuffer)
    case pong
    /// A well-formed close frame; `code` is nil when it had no body.
    case close(code: UInt16?)
    /// The peer broke the protocol or a limit: fail the connection with this code and reason.
    case failure(InboundViolation)
}

struct InboundLimits {
    var maxFrameSize: Int
    var maxMessageSize: Int
}

struct InboundFrameReader {
    private struct FrameProgress {
        var header: FrameHeader
        var remaining: Int
        var consumed = 0
        var control: ByteBuffer? = nil
        var isSkipped = false
    }

    private let limits: InboundLimits
    private let deflate: DeflateParameters?
    /// Header bytes that arrived without the rest of their header.
    private var partialHeader: ByteBuffer? = nil
    private var frame: FrameProgress? = nil
    private var message: InboundMessageAssembly? = nil
    /// Kept between messages only while the client keeps its compression window.
    private var inflater: MessageInflater? = nil
    /// After a failure or a close frame: skip everything, report only close frames.
    private var isDraining = false

    init(limits: InboundLimits, deflate: DeflateParameters?) {
        self.limits = limits
        self.deflate = deflate
    }

    /// The next event found in `buffer`, or nil once `buffer` is used up (an unfinished frame is
    /// remembered). Call repeatedly with the same buffer until it returns nil.
    mutating func nextEvent(from buffer: inout ByteBuffer) -> InboundEvent? {
        if var partial = self.partialHeader {
            self.partialHeader = nil
            partial.writeBuffer(&buffer)
            buffer = partial
        }
        while true {
            if self.frame == nil {
                guard let header = FrameHeader.read(from: &buffer) else {
                    self.keepPartialHeader(&buffer)
                    return nil
                }
                if let failure = self.begin(header) { return failure }
            }
            if let event = self.consumePayload(from: &buffer) { return event }
            if self.frame != nil { return nil }
        }
    }

    private mutating func keepPartialHeader(_ buffer: inout ByteBuffer) {
        guard buffer.readableBytes > 0 else { return }
        var copy = ByteBuffer()  // a copy, so the whole read buffer is not kept alive
        copy.writeBuffer(&buffer)
        self.partialHeader = copy
    }

    /// Validates a new frame's header and starts it; returns a failure event if it is refused.
    private mutating func begin(_ header: FrameHeader) -> InboundEvent? {
        let length = Int(clamping: header.payloadLength)
        var progress = FrameProgress(header: header, remaining: length)
        if self.isDraining {
            progress.isSkipped = header.opcode != FrameOpcode.close || length > 125
        } else {
            do {
                try self.validate(header)
            } catch {
                progress.isSkipped = true
                self.frame = progress
                return self.fail(InboundViolation(error))
            }
        }
        if header.isControl && !progress.isSkipped {
            progress.control = ByteBuffer()
            progress.control?.reserveCapacity(length)
        }
        self.frame = progress
        return nil
    }

    private mutating func validate(_ header: FrameHeader) throws {
        guard header.maskingKey != nil else { throw InboundViolation.protocolError("unmasked client frame") }
        guard !header.rsv2, !header.rsv3 else { throw InboundViolation.protocolError("reserved bits set") }
        guard FrameOpcode.isKnown(header.opcode) else {
            throw InboundViolation.protocolError("reserved opcode \(header.opcode)")
        }
        if header.isControl {
            guard header.fin else { throw InboundViolation.protocolError("fragmented control frame") }
            guard header.payloadLength <= 125 else { throw InboundViolation.protocolError("control frame over 125 bytes") }
            guard !header.rsv1 else { throw InboundViolation.protocolError("RSV1 set on a control frame") }
            return
        }
        guard header.payloadLength <= UInt64(self.limits.maxFrameSize) else {
            throw InboundViolation(code: RallyCloseCode.messageTooLarge, reason: "frame too large")
        }
        let length = Int(header.payloadLength)
        if header.opcode == FrameOpcode.continuation {
            guard self.message != nil else { throw InboundViolation.protocolError("continuation without a message") }
            guard !header.rsv1 else { throw InboundViolation.protocolError("RSV1 set on a continuation frame") }
        } else {
            guard self.message == nil else { throw InboundViolation.protocolError("new message inside a fragmented one") }
            guard !header.rsv1 || self.deflate != nil else {
                throw InboundViolation.protocolError("RSV1 set without permessage-deflate")
            }
            self.message = InboundMessageAssembly(
                isText: header.opcode == FrameOpcode.text, isCompressed: header.rsv1, firstFrameLength: length
            )
        }
        if let message = self.message, !message.isCompressed,
            message.payload.readableBytes + length > self.limits.maxMessageSize
        {
            throw InboundViolation.messageTooLarge
        }
    }

    /// Consumes as much of the current frame's payload as `buffer` holds; returns the frame's event
    /// when it completed with one.
    private mutating func consumePayload(from buffer: inout ByteBuffer) -> InboundEvent? {
        guard var progress = self.frame else { return nil }
        self.frame = nil  // keep `progress.control` uniquely referenced while it is written
        let take = min(progress.remaining, buffer.readableBytes)
        var chunk = buffer.readSlice(length: take)!
        var violation: InboundViolation? = nil
        if progress.isSkipped || take == 0 {
            // nothing to keep
        } else if progress.header.isControl {
            progress.control?.writeBuffer(&chunk)
        } else {
            do {
                try self.appendData(&chunk, header: progress.header, offset: progress.consumed)
            } catch {
                violation = InboundViolation(error)
                progress.isSkipped = true
            }
        }
        progress.remaining -= take
        progress.consumed += take
        self.frame = progress.remaining > 0 ? progress : nil
        if let violation { return self.fail(violation) }
        return progress.remaining > 0 ? nil : self.finish(progress)
    }

    private mutating func appendData(_ chunk: inout ByteBuffer, header: FrameHeader, offset: Int) throws {
        guard var message = self.message else { return }
        self.message = nil  // keep the payload buffer uniquely referenced while it grows
        defer { self.message = message }
        if message.isCompressed {
            let inflater = try self.currentInflater()
            try message.appendCompressed(
                &chunk, maskingKey: header.maskingKey, maskOffset: offset, inflater: inflater,
                limit: self.limits.maxMessageSize
            )
        } else {
            try message.appendPlain(&chunk, maskingKey: header.maskingKey, maskOffset: offset)
        }
    }

    /// The frame is complete: produce its event, if any.
    private mutating func finish(_ progress: FrameProgress) -> InboundEvent? {
        if progress.isSkipped { return nil }
        let header = progress.header
        if header.isControl {
            var body = progress.control ?? ByteBuffer()
            if let key = header.maskingKey { FrameMask.apply(key: key, offset: 0, to: &body) }
            return self.controlEvent(opcode: header.opcode, body: body)
        }
        guard header.fin, var message = self.message else { return nil }
        self.message = nil
        do {
            let complete = try message.finish(inflater: self.inflater, limit: self.limits.maxMessageSize)
            self.messageFinished()
            return .message(complete)
        } catch {
            return self.fail(InboundViolation(error))
        }
    }

    private mutating func controlEvent(opcode: UInt8, body: ByteBuffer) -> InboundEvent? {
        switch opcode {
        case FrameOpcode.ping:
            return .ping(body)
        case FrameOpcode.pong:
            return .pong
        default:
            let wasDraining = self.isDraining
            self.isDraining = true
            if wasDraining { return .close(code: body.getInteger(at: body.readerIndex, as: UInt16.self)) }
            do {
                return .close(code: try CloseFrameBody.parse(body))
            } catch {
                return .failure(InboundViolation(error))
            }
        }
    }

    private mutating func currentInflater() throws -> MessageInflater {
        if let inflater = self.inflater { return inflater }
        let bits = self.deflate?.clientMaxWindowBits ?? 15
        guard let inflater = try? ZlibStreamCache.current.takeInflater(windowBits: bits) else {
            throw InboundViolation(code: RallyCloseCode.unexpectedCondition, reason: "compression unavailable")
        }
        self.inflater = inflater
        return inflater
    }

    /// Without client context takeover the inflater goes back to the thread's pool between messages.
    private mutating func messageFinished() {
        guard let inflater = self.inflater, self.deflate?.clientNoContextTakeover == true else { return }
        self.inflater = nil
        ZlibStreamCache.current.recycle(inflater)
    }

    private mutating func fail(_ violation: InboundViolation) -> InboundEvent {
        self.isDraining = true
        self.message = nil
        self.inflater = nil
        return .failure(violation)
    }
}
