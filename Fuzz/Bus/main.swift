// What a node reads from the bus (Redis pub/sub): the nodes' binary form (BusMessage.decode) and the JSON form
// backend services publish (ServiceMessage.parse), as ClusterLink reads them (both decoders see every input: the
// ingress channel takes only the JSON form, the others dispatch on the first non-blank byte).
// Invariants: a decoded message encodes and decodes back to itself; a service message respects its bounds.
import FuzzSupport
import NIOCore
import RallyBus
import RallyProtocol

/// What ClusterLink passes.
let maxPayloadBytes = BusMessage.maxWireBytes

func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = ByteBuffer(bytes: UnsafeBufferPointer(start: data, count: size))
    if ServiceMessage.isJSONForm(bytes) {
        if let message = try? ServiceMessage.parse(bytes, maxPayloadBytes: maxPayloadBytes) {
            invariant(message.topic.hasPrefix(ServiceMessage.topicPrefix), "topic without the prefix")
            invariant(message.topic.utf8.count <= ServiceMessage.topicPrefix.utf8.count + 255, "topic too long")
        }
    }
    if let message = try? BusMessage.decode(bytes) {
        let again = try? BusMessage.decode(message.encode())
        invariant(again == message, "encode/decode round trip differs: \(message) vs \(String(describing: again))")
    }
    _ = try? ServiceMessage.parse(bytes, maxPayloadBytes: maxPayloadBytes)
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1) { fuzz(data ?? UnsafePointer($0.baseAddress!), size) }
}

@_cdecl("FuzzBus_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, testOneInput)
}
