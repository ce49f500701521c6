import XCTest

@testable import RallyWebSocket

final class UTF8ValidatorTests: XCTestCase {
    private func validate(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { UTF8Validator.isValid($0) }
    }

    func testAgreesWithTheStandardLibraryOnEdgeCases() {
        let samples: [[UInt8]] = [
            [], Array("hello".utf8), Array("κόσμε".utf8), [0xF0, 0x9F, 0x98, 0x80],
            [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80],
            [0xEF, 0xBF, 0xBF], [0xF4, 0x8F, 0xBF, 0xBF], [0x80], [0xC2], [0xFE], [0xFF],
            Array("abcdefghijklmnop".utf8) + [0xCE], [0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83],
        ]
        for sample in samples {
            let expected = String(validating: sample, as: UTF8.self) != nil
            XCTAssertEqual(validate(sample), expected, "\(sample)")
        }
    }

    func testAgreesWithTheStandardLibraryOnRandomBytes() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let length = Int.random(in: 0..<24, using: &generator)
            // Bias towards bytes that form multi-byte sequences.
            let sample = (0..<length).map { _ in
                [UInt8.random(in: 0x80...0xBF), UInt8.random(in: 0xC0...0xF5), UInt8.random(in: 0x20...0x7E)]
                    .randomElement()!
            }
            XCTAssertEqual(validate(sample), String(validating: sample, as: UTF8.self) != nil, "\(sample)")
        }
    }

    func testSequencesSplitAcrossChunksAreAccepted() {
        let text = Array("a€b😀c".utf8)
        for split in 0...text.count {
            var validator = UTF8Validator()
            text[..<split].withUnsafeBytes { _ = validator.feed($0) }
            text[split...].withUnsafeBytes { _ = validator.feed($0) }
            XCTAssertTrue(validator.isComplete, "split at \(split)")
        }
    }

    func testFailsOnTheFirstImpossibleByteWithoutWaitingForTheEnd() {
        var validator = UTF8Validator()
        // U+D800 (a surrogate) is impossible from its second byte on.
        XCTAssertTrue(([0x61, 0xED] as [UInt8]).withUnsafeBytes { validator.feed($0) })
        XCTAssertFalse(([0xA0] as [UInt8]).withUnsafeBytes { validator.feed($0) })
        XCTAssertFalse(validator.isValidSoFar)
    }

    func testAnUnfinishedSequenceIsValidSoFarButNotComplete() {
        var validator = UTF8Validator()
        ([0xE2, 0x82] as [UInt8]).withUnsafeBytes { _ = validator.feed($0) }
        XCTAssertTrue(validator.isValidSoFar)
        XCTAssertFalse(validator.isComplete)
    }
}
