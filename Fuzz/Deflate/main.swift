// permessage-deflate: the Sec-WebSocket-Extensions negotiation and the inflater on hostile input.
//
// Input: byte 0 picks the window bits (8 + n % 8) and the output limit, byte 1 how the compressed bytes are
// split; up to the first newline after that is one Sec-WebSocket-Extensions value (negotiated as the server
// does), the rest is inflated as one message (with the `00 00 ff ff` tail the reader appends).
// Invariants: output never exceeds the limit, the inflated bytes do not depend on the split, whatever
// the server compresses inflates back to itself, and an accepted offer is answered with valid parameters.
import FuzzSupport
import NIOCore
@testable import RallyWebSocket

func inflate(_ reads: [ByteBuffer], windowBits: Int, limit: Int) -> Result<ByteBuffer, ZlibError> {
    guard let inflater = try? MessageInflater(windowBits: windowBits) else { fatalError("inflateInit2 failed") }
    var output = ByteBuffer()
    do {
        for read in reads + [ByteBuffer(bytes: [0x00, 0x00, 0xFF, 0xFF])] {
            try read.withUnsafeReadableBytes { try inflater.inflate($0, into: &output, limit: limit) }
            invariant(output.readableBytes <= limit, "inflated past the limit")
        }
    } catch let error as ZlibError {
        return .failure(error)
    } catch {
        fatalError("unexpected error \(error)")
    }
    return .success(output)
}

func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let windowBits = 8 + Int(data[0] % 8)
    let limit = data[0] & 0x80 == 0 ? 1 << 20 : 64
    let rest = UnsafeBufferPointer(start: data + 2, count: size - 2)
    let newline = rest.firstIndex(of: 0x0A) ?? rest.count
    let header = String(decoding: rest[..<newline], as: UTF8.self)
    for require in [false, true] {
        if let agreement = PerMessageDeflateNegotiator.negotiate(headerValues: [header], requireClientNoContextTakeover: require) {
            let parameters = agreement.parameters
            invariant((8...15).contains(parameters.clientMaxWindowBits), "client window bits \(parameters.clientMaxWindowBits)")
            invariant((8...15).contains(parameters.serverMaxWindowBits), "server window bits \(parameters.serverMaxWindowBits)")
            invariant(!require || parameters.clientNoContextTakeover, "client_no_context_takeover not required")
            invariant(agreement.responseHeaderValue.hasPrefix("permessage-deflate; server_no_context_takeover"),
                      "response \(agreement.responseHeaderValue)")
        }
    }
    let compressed = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(rest)[min(newline + 1, rest.count)...])
    let whole = inflate(chunks(of: compressed, seed: 0), windowBits: windowBits, limit: limit)
    let split = inflate(chunks(of: compressed, seed: data[1]), windowBits: windowBits, limit: limit)
    invariant(whole == split, "inflation depends on the split")

    // The other direction: what the server compresses with this window inflates back to the same bytes.
    guard let deflater = try? MessageDeflater(windowBits: windowBits) else { fatalError("deflateInit2 failed") }
    let original = ByteBuffer(bytes: compressed)
    var deflated = ByteBuffer()
    deflater.compress(original, appendingTo: &deflated)
    let restored = inflate([deflated], windowBits: windowBits, limit: 1 << 20)
    invariant(restored == .success(original), "deflate then inflate changed \(original.readableBytes) bytes")
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1) { fuzz(data ?? UnsafePointer($0.baseAddress!), size) }
}

@_cdecl("FuzzDeflate_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, testOneInput)
}
