import NIOCore
import XCTest

@testable import RallyProtocol

/// A buffer holding the UTF-8 of `text`.
func buffer(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

/// A buffer holding exactly `bytes`.
func buffer(bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }

extension EncodedFrame {
    var text: String { String(buffer: bytes) }
    var byteArray: [UInt8] { Array(bytes.readableBytesView) }
}

/// Parses `text` or fails the test.
func parse(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> JSON? {
    do {
        return try JSON(parsing: text)
    } catch {
        XCTFail("unexpected parse error for \(text): \(error)", file: file, line: line)
        return nil
    }
}

/// The parse error for `text`, failing the test when it parses.
@discardableResult
func parseError(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> JSONParseError? {
    parseError(bytes: Array(text.utf8), file: file, line: line)
}

@discardableResult
func parseError(bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> JSONParseError? {
    do {
        let value = try JSON(parsing: bytes)
        XCTFail("expected a parse error for \(bytes), got \(value)", file: file, line: line)
        return nil
    } catch {
        return error
    }
}

/// The value of a successful result, failing the test otherwise.
func success<Value, Failure: Error>(
    _ result: Result<Value, Failure>, file: StaticString = #filePath, line: UInt = #line
) -> Value? {
    switch result {
    case .success(let value): return value
    case .failure(let error):
        XCTFail("unexpected failure: \(error)", file: file, line: line)
        return nil
    }
}

/// The error of a failed result, failing the test otherwise.
@discardableResult
func failure<Value, Failure: Error>(
    _ result: Result<Value, Failure>, file: StaticString = #filePath, line: UInt = #line
) -> Failure? {
    switch result {
    case .success(let value):
        XCTFail("expected a failure, got \(value)", file: file, line: line)
        return nil
    case .failure(let error): return error
    }
}

/// A deterministic byte generator for fuzz-style tests (64-bit LCG).
struct SeededBytes {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt8 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return UInt8(truncatingIfNeeded: state >> 33)
    }

    mutating func bytes(count: Int) -> [UInt8] { (0..<count).map { _ in next() } }
}
