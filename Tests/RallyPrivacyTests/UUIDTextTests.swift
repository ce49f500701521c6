import Foundation
import XCTest

@testable import RallyPrivacy

/// `UUIDText.parse` accepts exactly what Foundation's `UUID(uuidString:)` accepts, with the same value.
final class UUIDTextTests: XCTestCase {
    func testAgreesWithFoundationOnUUIDsInEveryLetterCase() {
        for _ in 0..<500 {
            let text = UUID().uuidString
            for form in [text, text.lowercased(), Self.mixedCase(text)] {
                XCTAssertEqual(UUIDText.parse(form), UUID(uuidString: form), form)
                XCTAssertNotNil(UUIDText.parse(form), form)
            }
        }
    }

    /// Every one-character change of a UUID: read only when still of the 8-4-4-4-12 hex form, and then as Foundation
    /// reads it. Foundation itself is laxer (its `sscanf` takes a sign, a space or a hyphen in a digit's place, and
    /// reads "+621e1f8-…" as 0621E1F8-…, "-621e1f8-…" as FA21E1F8-…): those are refused here.
    func testReadsOnlyTheStrictFormOfEveryOneCharacterChange() {
        let text = "e621e1f8-c36c-495a-93fc-0c247a3e6e5f"
        let replacements: [Character] = ["0", "9", "a", "F", "g", "G", "-", " ", "+", "{", "}", "x", "\0", "é", "٣"]
        var laxInFoundation = 0
        for index in text.indices {
            for replacement in replacements {
                var changed = text
                changed.replaceSubrange(index...index, with: String(replacement))
                let parsed = UUIDText.parse(changed)
                XCTAssertEqual(parsed != nil, Self.isStrictForm(changed), changed.debugDescription)
                if parsed != nil {
                    XCTAssertEqual(parsed, UUID(uuidString: changed), changed.debugDescription)
                } else if UUID(uuidString: changed) != nil {
                    laxInFoundation += 1
                }
            }
        }
        XCTAssertGreaterThan(laxInFoundation, 0, "Foundation's laxness, which this parser exists to avoid, is gone")
    }

    private static func isStrictForm(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 36 else { return false }
        return bytes.enumerated().allSatisfy { offset, byte in
            [8, 13, 18, 23].contains(offset) ? byte == UInt8(ascii: "-") : Character(UnicodeScalar(byte)).isHexDigit
        }
    }

    func testRefusesOtherShapes() {
        let text = "E621E1F8-C36C-495A-93FC-0C247A3E6E5F"
        let shapes = [
            "", String(text.dropLast()), text + "0", "{\(text)}", text.replacingOccurrences(of: "-", with: ""),
            " " + String(text.dropFirst()), String(text.dropLast()) + "\n", text + "\0",
        ]
        for shape in shapes {
            XCTAssertNil(UUIDText.parse(shape), shape.debugDescription)  // Foundation reads the last two
        }
        XCTAssertEqual(UUIDText.parse(text[...]), UUID(uuidString: text), "a substring")
    }

    private static func mixedCase(_ text: String) -> String {
        String(text.enumerated().map { $0.offset % 2 == 0 ? Character($0.element.lowercased()) : $0.element })
    }
}
