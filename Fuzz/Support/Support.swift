// What the harnesses share: input splitting and failing loudly on a broken invariant.
import CFuzzerDriver
import NIOCore

/// Splits `bytes` into chunks as a network read would: `seed` 0 delivers everything at once, any other
/// value gives a deterministic run of chunk sizes (1 to 64 bytes), so the fuzzer can steer the split points.
public func chunks(of bytes: UnsafeRawBufferPointer, seed: UInt8) -> [ByteBuffer] {
    guard seed != 0 else { return [ByteBuffer(bytes: bytes)] }
    var state = UInt32(seed) &* 2_654_435_761 | 1
    var result: [ByteBuffer] = []
    var start = 0
    while start < bytes.count {
        state ^= state << 13
        state ^= state >> 17
        state ^= state << 5
        let size = seed & 1 == 1 ? 1 + Int(state % 8) : 1 + Int(state % 64)
        let end = min(bytes.count, start + size)
        result.append(ByteBuffer(bytes: UnsafeRawBufferPointer(rebasing: bytes[start..<end])))
        start = end
    }
    return result
}

/// Stops the run with a message libFuzzer reports as a crash (with the input that caused it).
public func invariant(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("invariant broken: \(message())") }
}

/// Runs libFuzzer on `callback` for a harness's `main`. SwiftPM's debug builds link an executable's entry
/// point as `<Target>_main` (so tests can import it), which replaces libFuzzer's own `main`; each harness
/// therefore exports that symbol and hands over to libFuzzer's driver here.
public func runFuzzer(
    _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt {
    var argc = argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return LLVMFuzzerRunDriver(&argc, &argv, callback)
}
