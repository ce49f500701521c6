// Rally's JSON parser (every text frame, every bus message and service message goes through it).
// Invariants: the ByteBuffer, byte-collection and String entry points agree; a parsed value serializes to
// exactly `encodedByteCount` bytes, and those bytes parse back to the same value (and serialize the same); bytes
// are kept as `CompactJSONText` exactly when they parse and their value serializes back to the same bytes.
import FuzzSupport
import NIOCore
import RallyProtocol

func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let buffer = ByteBuffer(bytes: bytes)
    let parsed = Result { () throws(JSONParseError) in try JSON(parsing: buffer) }
    let fromArray = Result { () throws(JSONParseError) in try JSON(parsing: Array(bytes)) }
    invariant(parsed == fromArray, "ByteBuffer and [UInt8] parses differ: \(parsed) vs \(fromArray)")
    if let text = String(validating: bytes, as: UTF8.self) {
        let fromString = Result { () throws(JSONParseError) in try JSON(parsing: text) }
        invariant(parsed == fromString, "ByteBuffer and String parses differ: \(parsed) vs \(fromString)")
    }
    let writesBack = (try? parsed.get()).map { $0.serializedBuffer() == buffer } ?? false
    invariant((CompactJSONText(buffer) != nil) == writesBack,
              "CompactJSONText disagrees with the writer: \(writesBack)")
    guard case .success(let value) = parsed else { return 0 }
    let serialized = value.serializedBuffer()
    invariant(serialized.readableBytes == value.encodedByteCount,
              "encodedByteCount \(value.encodedByteCount) but \(serialized.readableBytes) bytes written")
    let reparsed = Result { () throws(JSONParseError) in try JSON(parsing: serialized) }
    invariant(reparsed == .success(value), "re-parse differs: \(value) vs \(reparsed)")
    invariant(value.serializedString() == String(buffer: serialized), "serializedString differs from serializedBuffer")
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1) { fuzz(data ?? UnsafePointer($0.baseAddress!), size) }
}

@_cdecl("FuzzJSON_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, testOneInput)
}
