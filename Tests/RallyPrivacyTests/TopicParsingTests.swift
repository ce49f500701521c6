import Foundation
@testable import RallyPrivacy
import XCTest

final class TopicParsingTests: XCTestCase {
    let id = "8f5e2a94-6b31-4c1e-9d3a-0c7b5e2f1a66"

    func testEveryIdentifiedKindParsesItsLowercaseUUID() throws {
        for kind in TopicKind.identified {
            let parsed = try Topic.parse("\(kind.rawValue):\(id)").get()
            XCTAssertEqual(parsed.kind, kind)
            XCTAssertEqual(parsed.id, UUID(uuidString: id))
            XCTAssertEqual(parsed.subtopic, "\(kind.rawValue):\(id)")
        }
    }

    func testOtherNamesAreFreeForm() throws {
        for name in ["lobby", "", "room:1", "events:\(id)", "eventual:x", "chat:event:\(id)", ":\(id)"] {
            XCTAssertEqual(try Topic.parse(name).get(), .freeForm(name), name)
            XCTAssertEqual(Topic.freeForm(name).subtopic, name)
        }
    }

    func testMalformedIdentifiedTopicsAreRejected() {
        let bad = [
            "event:", "event:abc", "event:\(id.uppercased())", "EVENT:\(id)", "Group:\(id)", "plan:\(id) ",
            "feed: \(id)", "profile:\(id):x", "user:\(id.replacingOccurrences(of: "-", with: ""))",
            "group:{\(id)}", "event:8f5e2a94-6b31-4c1e-9d3a-0c7b5e2f1a6g", "user:8f5e2a946-b31-4c1e-9d3a-0c7b5e2f1a66",
        ]
        for name in bad {
            guard case .failure(let error) = Topic.parse(name) else {
                return XCTFail("\(name) should be malformed")
            }
            XCTAssertTrue(error.description.contains("lowercase"), error.description)
        }
    }

    func testCanonicalUUIDCheck() {
        XCTAssertTrue(Topic.isCanonicalUUID(id))
        XCTAssertFalse(Topic.isCanonicalUUID(id.uppercased()))
        XCTAssertFalse(Topic.isCanonicalUUID(id + "0"))
        XCTAssertFalse(Topic.isCanonicalUUID(String(id.dropLast())))
        XCTAssertFalse(Topic.isCanonicalUUID(id.replacingOccurrences(of: "-", with: "0")))
        XCTAssertFalse(Topic.isCanonicalUUID(String(id.dropLast()) + "g"))
    }

    func testIdentifiedTopicsDecodeTheSameUUIDAsFoundation() {
        for _ in 0..<500 {
            let uuid = UUID()
            let text = uuid.uuidString.lowercased()
            XCTAssertEqual(Topic.canonicalUUID(text.utf8), uuid, text)
            XCTAssertEqual(try? Topic.parse("profile:" + text).get(), .profile(uuid))
        }
        XCTAssertEqual(try? Topic.parse("Event:" + id).get(), nil, "a kind in another case is malformed, not free-form")
        XCTAssertEqual(try? Topic.parse("events:" + id).get(), .freeForm("events:" + id))
    }

    func testKindFromThePrefixAloneAgreesWithParse() {
        for kind in TopicKind.identified {
            XCTAssertEqual(Topic.kind(ofSubtopic: "\(kind.rawValue):\(id)"), kind)
            XCTAssertEqual((try? Topic.parse("\(kind.rawValue):\(id)").get())?.kind, kind)
        }
        XCTAssertEqual(Topic.kind(ofSubtopic: "lobby"), .freeForm)
        XCTAssertEqual(Topic.kind(ofSubtopic: "events:\(id)"), .freeForm)
        XCTAssertEqual(Topic.kind(ofSubtopic: "Event:\(id)"), .freeForm, "malformed: parse refuses it anyway")
    }

    func testViewerFromClaims() {
        XCTAssertEqual(ViewerIdentity(role: .authenticated, subject: id.uppercased()).userID, UUID(uuidString: id))
        XCTAssertNil(ViewerIdentity(role: .authenticated, subject: "not-a-uuid").userID)
        XCTAssertNil(ViewerIdentity(role: .anon, subject: id).userID, "anon never carries a user id")
    }
}
