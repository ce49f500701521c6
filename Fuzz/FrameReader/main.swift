// The inbound WebSocket stream of an upgraded connection: frame headers, masking, fragmentation,
// control frames, UTF-8 and permessage-deflate, through InboundFrameReader with the server's limits.
//
// Input: byte 0 picks the session (bit 0: permessage-deflate agreed, bit 1: client_no_context_takeover,
// bits 2-4: client_max_window_bits 8 + n), byte 1 how the rest is split into reads, the rest is what the
// client sent. Invariants: the events do not depend on how the bytes were split; a message is never over
// the limit; a text message is valid UTF-8; nothing follows a failure except close frames.
import FuzzSupport
import NIOCore
@testable import RallyWebSocket

/// The server's defaults (RallyConfiguration: both bounds are the hub's 1 MiB message limit).
let limits = InboundLimits(maxFrameSize: 1 << 20, maxMessageSize: 1 << 20)

func events(_ reads: [ByteBuffer], deflate: DeflateParameters?) -> [InboundEvent] {
    var reader = InboundFrameReader(limits: limits, deflate: deflate)
    var found: [InboundEvent] = []
    for read in reads {
        var buffer = read
        while let event = reader.nextEvent(from: &buffer) { found.append(event) }
        invariant(buffer.readableBytes == 0, "the reader left \(buffer.readableBytes) bytes of a read unconsumed")
    }
    return found
}

/// An event, with every failure the same.
func outcome(_ event: InboundEvent) -> InboundEvent {
    if case .failure = event { return .failure(InboundViolation(code: 0, reason: "")) }
    return event
}

func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let session = data[0]
    let deflate: DeflateParameters? = session & 1 == 0 ? nil : DeflateParameters(
        clientNoContextTakeover: session & 2 != 0, clientMaxWindowBits: 8 + Int((session >> 2) & 7)
    )
    let stream = UnsafeRawBufferPointer(start: data + 2, count: size - 2)
    let split = events(chunks(of: stream, seed: data[1]), deflate: deflate)
    let whole = events(chunks(of: stream, seed: 0), deflate: deflate)
    // Which violation is reported can depend on where a read ended (inflated bytes that are not UTF-8 are
    // seen before the corrupt deflate data after them only if a read ended in between); whether, and after
    // which events, the connection fails cannot.
    invariant(split.map(outcome) == whole.map(outcome), "events depend on the split: \(split) vs \(whole)")
    var failed = false
    for event in whole {
        switch event {
        case .message(let message):
            invariant(!failed, "a message after a failure")
            invariant(message.payload.readableBytes <= limits.maxMessageSize, "message over the limit")
            if case .text(let text) = message {
                invariant(String(validating: text.readableBytesView, as: UTF8.self) != nil, "text is not UTF-8")
            }
        case .ping(let body):
            invariant(!failed, "a ping after a failure")
            invariant(body.readableBytes <= 125, "ping body over 125 bytes")
        case .pong:
            invariant(!failed, "a pong after a failure")
        case .close:
            break
        case .failure(let violation):
            invariant([1002, 1007, 1009, 1011].contains(violation.code), "unexpected close code \(violation.code)")
            invariant(violation.code != 1011, "internal error: \(violation.reason)")
            failed = true
        }
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1) { fuzz(data ?? UnsafePointer($0.baseAddress!), size) }
}

@_cdecl("FuzzFrameReader_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, testOneInput)
}
