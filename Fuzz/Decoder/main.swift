// Client frames as the hub decodes them: v1 (object) and v2 (array) text frames, v2 binary kinds 0 and 3,
// binary frames on a v1 socket, and the kind 4 user broadcast layout.
// Invariants: each decoder returns a result or a ProtocolError (never traps); a decoded text frame's fields
// survive re-serialization of its payload; the decoder that keeps a broadcast's compact user payload as text
// agrees with the tree decoder (same message once the text is put back, same error), keeps text only for a
// broadcast and only text the writer writes back unchanged; v1 refuses binary; a decoded kind 3 push re-encodes
// (as UserBroadcastPush.encode, the client side) to bytes that decode to the same push.
import FuzzSupport
import NIOCore
import RallyProtocol

func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let buffer = ByteBuffer(bytes: UnsafeBufferPointer(start: data, count: size))
    for version in [ProtocolVersion.v1, .v2] {
        if case .success(.message(let message)) = InboundDecoder.decodeText(buffer, version: version) {
            let payload = message.payload.serializedBuffer()
            invariant((try? JSON(parsing: payload)) == message.payload, "payload does not survive re-serialization")
        }
        checkKeptUserPayload(buffer, version)
    }
    if case .success = InboundDecoder.decodeBinary(buffer, version: .v1) {
        invariant(false, "a v1 socket accepted a binary frame")
    }
    switch InboundDecoder.decodeBinary(buffer, version: .v2) {
    case .success(.message):
        invariant(data[0] == 0, "kind \(data[0]) decoded as a push")
    case .success(.userBroadcast(let push)):
        invariant(data[0] == 3, "kind \(data[0]) decoded as a user broadcast push")
        invariant(push.topic.utf8.count <= 255 && push.userEvent.utf8.count <= 255, "length over a u8 prefix")
        // What a client library would send for this push decodes back to it.
        if case .success(let encoded) = push.encode() {
            let again = InboundDecoder.decodeBinary(encoded.bytes, version: .v2)
            invariant(again == .success(.userBroadcast(push)), "kind 3 round trip: \(push) vs \(again)")
        }
    case .failure:
        break
    }
    _ = BroadcastEnvelope.decodeUserBroadcast(buffer)
    return 0
}

/// `decodeTextKeepingUserPayload` against `decodeText`.
func checkKeptUserPayload(_ buffer: ByteBuffer, _ version: ProtocolVersion) {
    let tree = InboundDecoder.decodeText(buffer, version: version)
    let kept = InboundDecoder.decodeTextKeepingUserPayload(buffer, version: version)
    switch (tree, kept) {
    case (.success(.message(let whole)), .success(.message(var message))):
        if let text = message.userPayloadText {
            invariant(message.event == "broadcast", "user payload kept for \(message.event)")
            invariant(text.value.serializedBuffer() == text.bytes, "kept text is not what the writer writes")
            var channelPayload = message.payload.objectValue
            invariant(channelPayload?["payload"] == .null, "no null in the kept payload's place")
            channelPayload?["payload"] = text.value
            message.payload = channelPayload.map(JSON.object) ?? message.payload
            message.userPayloadText = nil
        }
        invariant(message == whole, "the decoders differ: \(message) vs \(whole)")
    case (.failure(let treeError), .failure(let keptError)):
        invariant(keptError == treeError, "the decoders fail differently: \(treeError) vs \(keptError)")
    default:
        invariant(false, "one decoder failed: \(tree) vs \(kept)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1) { fuzz(data ?? UnsafePointer($0.baseAddress!), size) }
}

@_cdecl("FuzzDecoder_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, testOneInput)
}
