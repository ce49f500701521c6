import NIOCore
import NIOWebSocket

/// Pure RFC 6455 receive-side state machine of a client: joins fragments, answers pings and
/// recognises close frames and protocol violations. It does no I/O; the frame handler executes its actions.
struct MessageAssembler {
    enum Action: Equatable {
        case none
        case deliver(WebSocketClientMessage)
        case sendPong(ByteBuffer)
        /// The server sent a close frame (code nil when the frame had no body).
        case closeReceived(code: UInt16?, reason: String)
        /// The server broke the protocol: close with this code.
        case fail(WebSocketErrorCode, reason: String)
    }

    private enum State {
        case idle
        case assembling(WebSocketClientMessage.Kind, ByteBuffer)
        case closed
    }

    private var state = State.idle
    let maxMessageSize: Int

    init(maxMessageSize: Int) {
        self.maxMessageSize = maxMessageSize
    }

    mutating func receive(_ frame: WebSocketFrame) -> Action {
        if case .closed = state { return .none }
        if frame.maskKey != nil { return fail(.protocolError, "masked frame from server") }
        if frame.rsv1 || frame.rsv2 || frame.rsv3 { return fail(.protocolError, "reserved bits set") }
        switch frame.opcode {
        case .text: return start(.text, frame)
        case .binary: return start(.binary, frame)
        case .continuation: return `continue`(frame)
        case .ping: return .sendPong(frame.data)
        case .pong: return .none
        case .connectionClose: return closeReceived(frame.data)
        default: return fail(.protocolError, "unknown opcode")
        }
    }

    private mutating func start(_ kind: WebSocketClientMessage.Kind, _ frame: WebSocketFrame) -> Action {
        guard case .idle = state else { return fail(.protocolError, "new message inside a fragmented one") }
        guard frame.data.readableBytes <= maxMessageSize else { return fail(.messageTooLarge, "message too large") }
        if frame.fin { return .deliver(WebSocketClientMessage(kind: kind, data: frame.data)) }
        state = .assembling(kind, frame.data)
        return .none
    }

    private mutating func `continue`(_ frame: WebSocketFrame) -> Action {
        guard case .assembling(let kind, var buffer) = state else {
            return fail(.protocolError, "continuation frame without a message")
        }
        guard buffer.readableBytes + frame.data.readableBytes <= maxMessageSize else {
            return fail(.messageTooLarge, "message too large")
        }
        state = .idle  // drop our reference so `buffer` is uniquely owned while we append
        var data = frame.data
        buffer.writeBuffer(&data)
        if frame.fin { return .deliver(WebSocketClientMessage(kind: kind, data: buffer)) }
        state = .assembling(kind, buffer)
        return .none
    }

    private mutating func closeReceived(_ body: ByteBuffer) -> Action {
        state = .closed
        var body = body
        guard body.readableBytes >= 2, let code = body.readInteger(as: UInt16.self) else {
            return body.readableBytes == 0 ? .closeReceived(code: nil, reason: "") : fail(.protocolError, "bad close body")
        }
        return .closeReceived(code: code, reason: body.readString(length: body.readableBytes) ?? "")
    }

    private mutating func fail(_ code: WebSocketErrorCode, _ reason: String) -> Action {
        state = .closed
        return .fail(code, reason: reason)
    }
}
