// The application-facing side of a WebSocket: complete messages in, session events out; and outbound
// frames built once: a message becomes wire bytes (header + payload, server frames are never masked)
// and, for permessage-deflate sessions, compressed bytes shared by every session with the same window.
import NIOCore
import NIOWebSocket
import Synchronization

/// A complete (reassembled, decompressed, UTF-8-validated) WebSocket message.
public enum WebSocketMessage: Sendable, Equatable {
    case text(ByteBuffer)
    case binary(ByteBuffer)

    /// The message body.
    public var payload: ByteBuffer {
        switch self {
        case .text(let payload), .binary(let payload): return payload
        }
    }

    var opcode: UInt8 {
        switch self {
        case .text: return FrameOpcode.text
        case .binary: return FrameOpcode.binary
        }
    }
}

/// Receives one session's events, always on the session's event loop.
public protocol WebSocketSessionHandler: AnyObject {
    func sessionDidOpen(_ session: WebSocketSession)
    func session(_ session: WebSocketSession, didReceive message: WebSocketMessage)
    /// Called exactly once, when the socket is gone (closing handshake done, error, or local close).
    ///
    /// `code` is the close code the connection ended with: the peer's if it sent a close frame
    /// (1005 when that frame carried no code), otherwise the one this side sent (for example 1002
    /// after a protocol error, 1011 on idle timeout, 1013 for a slow consumer); nil when the TCP
    /// connection ended without any close frame.
    func sessionDidClose(_ session: WebSocketSession, code: WebSocketErrorCode?)
}

/// Echoes every message back as it came (text as text, binary as binary). Serves the `/echo`
/// endpoint and the Autobahn conformance run; message size is bounded by the server configuration
/// (`maxFrameSize`/`maxMessageSize`, e.g. 16 MiB for Autobahn).
public final class EchoSessionHandler: WebSocketSessionHandler {
    public init() {}

    public func sessionDidOpen(_ session: WebSocketSession) {}

    public func session(_ session: WebSocketSession, didReceive message: WebSocketMessage) {
        session.send(message)
    }

    public func sessionDidClose(_ session: WebSocketSession, code: WebSocketErrorCode?) {}
}

@available(*, unavailable)
extension EchoSessionHandler: Sendable {}

/// Builds single-frame (FIN) server messages, compressed on permessage-deflate sessions.
///
/// Every message on a deflate session is compressed, even tiny ones that grow by a few bytes: RFC 7692
/// allows sending some uncompressed (RSV1 clear), but the Autobahn runner (kosoku) mishandles such
/// messages, and a compressed copy costs one deflate per message and window size, shared by all
/// sessions, while zlib streams for small payloads are cheap to reset.
enum OutboundFrameBuilder {
    /// The frame for one message on a session with the given deflate parameters (nil: no deflate).
    static func frame(opcode: UInt8, payload: ByteBuffer, deflate: DeflateParameters?) -> ByteBuffer {
        if let deflate,
            let compressed = compressedFrame(opcode: opcode, payload: payload, windowBits: deflate.serverMaxWindowBits)
        {
            return compressed
        }
        return FrameEncoder.frame(opcode: opcode, payload: payload)
    }

    /// The RSV1 frame holding `payload` compressed with a fresh window of 2^`windowBits`, or nil if
    /// zlib is unavailable.
    static func compressedFrame(opcode: UInt8, payload: ByteBuffer, windowBits: Int) -> ByteBuffer? {
        let cache = ZlibStreamCache.current
        guard let deflater = cache.deflater(windowBits: windowBits, payloadSize: payload.readableBytes) else {
            return nil
        }
        let headerRoom = FrameEncoder.maxHeaderLength
        var frame = ByteBuffer()
        frame.writeRepeatingByte(0, count: headerRoom)
        deflater.compress(payload, appendingTo: &frame)
        let compressedLength = frame.writerIndex - headerRoom
        var header = ByteBuffer()
        FrameEncoder.writeHeader(opcode: opcode, rsv1: true, payloadLength: compressedLength, into: &header)
        let start = headerRoom - header.readableBytes
        frame.setBuffer(header, at: start)
        frame.moveReaderIndex(to: start)
        return frame
    }
}

/// One message encoded to wire bytes once and sent to many sessions. Sessions that negotiated the same
/// deflate parameters (with server_no_context_takeover) share one compressed copy.
///
/// Rally's sessions always use server_no_context_takeover, so the compressed bytes depend only on
/// `serverMaxWindowBits`: they are cached per window size, computed by the first session that needs
/// them (on its event loop, under this frame's lock) and then shared by all (`ByteBuffer` is
/// copy-on-write, so no session copies them).
public final class SharedFrame: @unchecked Sendable {
    private let opcode: UInt8
    /// Header and payload, unmasked, RSV1 clear.
    private let plainFrame: ByteBuffer
    private let payload: ByteBuffer
    /// Compressed frames by server window bits; a nil entry means zlib was unavailable. A `Mutex` is stored inline:
    /// no lock object allocated per message (most messages are never compressed).
    private let compressedFrames = Mutex<[Int: ByteBuffer?]>([:])

    public init(isBinary: Bool, payload: ByteBuffer) {
        self.opcode = isBinary ? FrameOpcode.binary : FrameOpcode.text
        let frame = FrameEncoder.frame(opcode: self.opcode, payload: payload)
        let headerLength = frame.readableBytes - payload.readableBytes
        self.plainFrame = frame
        self.payload = frame.getSlice(at: frame.readerIndex + headerLength, length: payload.readableBytes)!
    }

    /// A frame whose payload, exactly `payloadByteCount` bytes, `writePayload` appends right behind the header: one
    /// buffer, and no copy of the payload into it.
    public init(isBinary: Bool, payloadByteCount: Int, writePayload: (inout ByteBuffer) -> Void) {
        self.opcode = isBinary ? FrameOpcode.binary : FrameOpcode.text
        let headerLength = FrameEncoder.headerLength(payloadLength: payloadByteCount)
        var frame = ByteBufferAllocator().buffer(capacity: headerLength + payloadByteCount)
        FrameEncoder.writeHeader(opcode: self.opcode, rsv1: false, payloadLength: payloadByteCount, into: &frame)
        writePayload(&frame)
        precondition(frame.readableBytes == headerLength + payloadByteCount, "SharedFrame: payload of the wrong size")
        self.plainFrame = frame
        self.payload = frame.getSlice(at: frame.readerIndex + headerLength, length: payloadByteCount)!
    }

    public var payloadByteCount: Int { self.payload.readableBytes }

    /// Whether the payload is binary (otherwise UTF-8 text).
    public var isBinary: Bool { self.opcode == FrameOpcode.binary }

    /// The wire bytes to write on a session with these deflate parameters (nil: no deflate).
    public func wireBytes(for deflate: DeflateParameters?) -> ByteBuffer {
        guard let deflate else { return self.plainFrame }
        let windowBits = deflate.serverMaxWindowBits
        let compressed = self.compressedFrames.withLock { frames -> ByteBuffer? in
            if let cached = frames[windowBits] { return cached }
            let frame = OutboundFrameBuilder.compressedFrame(
                opcode: self.opcode, payload: self.payload, windowBits: windowBits
            )
            frames[windowBits] = .some(frame)
            return frame
        }
        return compressed ?? self.plainFrame
    }
}
