import Dispatch
import Foundation
import XCTest

@testable import RallyProtocol

final class PresenceShapesTests: XCTestCase {
    func testMetaPutsServerRefsFirstAndOverridesUserRefs() {
        let meta = PresenceShapes.meta(["name": .string("ann"), "phx_ref": .string("fake")], phxRef: "R1", phxRefPrev: "R0")
        XCTAssertEqual(JSON.object(meta).serializedString(), #"{"phx_ref":"R1","phx_ref_prev":"R0","name":"ann"}"#)
        XCTAssertEqual(JSON.object(PresenceShapes.meta([:], phxRef: "R")).serializedString(), #"{"phx_ref":"R"}"#)
    }

    func testPresenceState() {
        let state = PresenceShapes.state([
            PresenceEntry(key: "u2", metas: [PresenceShapes.meta(["s": .int(1)], phxRef: "A")]),
            PresenceEntry(key: "u1", metas: [PresenceShapes.meta([:], phxRef: "B")]),
            PresenceEntry(key: "u2", metas: [PresenceShapes.meta([:], phxRef: "C")]),
        ])
        XCTAssertEqual(state.serializedString(),
                       #"{"u2":{"metas":[{"phx_ref":"A","s":1},{"phx_ref":"C"}]},"u1":{"metas":[{"phx_ref":"B"}]}}"#)
        XCTAssertEqual(PresenceShapes.state([PresenceEntry]()).serializedString(), "{}")
        let sorted = PresenceShapes.state(["b": [["phx_ref": .string("2")]], "a": [["phx_ref": .string("1")]]])
        XCTAssertEqual(sorted.serializedString(), #"{"a":{"metas":[{"phx_ref":"1"}]},"b":{"metas":[{"phx_ref":"2"}]}}"#)
    }

    func testPresenceDiffAlwaysHasJoinsAndLeaves() {
        let join = PresenceShapes.diff(joins: [PresenceEntry(key: "k", metas: [["phx_ref": .string("1")]])], leaves: [])
        XCTAssertEqual(join.serializedString(), #"{"joins":{"k":{"metas":[{"phx_ref":"1"}]}},"leaves":{}}"#)
        let leave = PresenceShapes.diff(joins: [:], leaves: ["k": [["phx_ref": .string("1")]]])
        XCTAssertEqual(leave.serializedString(), #"{"joins":{},"leaves":{"k":{"metas":[{"phx_ref":"1"}]}}}"#)
    }

    func testUpdateIsOneDiffWithJoinAndLeaveForTheSameKey() {
        let old = PresenceShapes.meta(["status": .string("away")], phxRef: "OLD")
        let diff = PresenceShapes.updateDiff(key: "u1", newFields: ["status": .string("online")], newRef: "NEW", oldMeta: old)
        XCTAssertEqual(diff.serializedString(),
                       #"{"joins":{"u1":{"metas":[{"phx_ref":"NEW","phx_ref_prev":"OLD","status":"online"}]}},"#
                       + #""leaves":{"u1":{"metas":[{"phx_ref":"OLD","status":"away"}]}}}"#)
    }
}

final class PhxRefTests: XCTestCase {
    private let urlSafeAlphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

    func testRefsAre16URLSafeCharacters() {
        for ref in [PhxRefGenerator.shared.next(), PhxRef.next(), PhxRefGenerator(nodeName: "n").next()] {
            XCTAssertEqual(ref.count, 16)
            XCTAssertTrue(ref.allSatisfy(urlSafeAlphabet.contains), ref)
        }
        XCTAssertNotEqual(PhxRef.next(), PhxRef.next())
    }

    func testLayoutIsTimeNodeCounter() {
        let generator = PhxRefGenerator(nodeName: "node-a", clock: { 0x0102_0304_0506_0708 })
        let node = UInt16(truncatingIfNeeded: FNV1a64.hash("node-a".utf8))
        let expected = Base64.encode([1, 2, 3, 4, 5, 6, 7, 8, UInt8(node >> 8), UInt8(node & 0xFF), 0, 1], urlSafe: true)
        XCTAssertEqual(generator.next(), expected)
    }

    func testStalledClockStillGivesUniqueRefs() {
        let generator = PhxRefGenerator(nodeName: "n", clock: { 1_000 })
        let refs = (0..<70_000).map { _ in generator.next() }
        XCTAssertEqual(Set(refs).count, refs.count, "unique even past the 16-bit counter wrap")
    }

    func testConcurrentGenerationIsUnique() {
        let generator = PhxRefGenerator()
        let collected = LockedRefs()
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            collected.append((0..<2_000).map { _ in generator.next() })
        }
        let refs = collected.all
        XCTAssertEqual(refs.count, 16_000)
        XCTAssertEqual(Set(refs).count, refs.count)
    }

    func testBase64Vectors() {
        let vectors: [(String, String, String)] = [
            ("", "", ""), ("f", "Zg==", "Zg"), ("fo", "Zm8=", "Zm8"), ("foo", "Zm9v", "Zm9v"),
            ("foob", "Zm9vYg==", "Zm9vYg"), ("fooba", "Zm9vYmE=", "Zm9vYmE"), ("foobar", "Zm9vYmFy", "Zm9vYmFy"),
        ]
        for (input, standard, urlSafe) in vectors {
            XCTAssertEqual(Base64.encode(Array(input.utf8), urlSafe: false), standard)
            XCTAssertEqual(Base64.encode(Array(input.utf8), urlSafe: true), urlSafe)
        }
        XCTAssertEqual(Base64.encode([0xFB, 0xFF, 0xFE], urlSafe: true), "-__-")
        XCTAssertEqual(Base64.encode([0xFB, 0xFF, 0xFE], urlSafe: false), "+//+")
    }
}

final class ProtocolVersionTests: XCTestCase {
    func testNegotiation() {
        XCTAssertEqual(ProtocolVersion.negotiate(vsn: nil), .v1)
        XCTAssertEqual(ProtocolVersion.negotiate(vsn: "1.0.0"), .v1)
        XCTAssertEqual(ProtocolVersion.negotiate(vsn: "1.0.7"), .v1)
        XCTAssertEqual(ProtocolVersion.negotiate(vsn: "2.0.0"), .v2)
        XCTAssertEqual(ProtocolVersion.negotiate(vsn: "2.0.12"), .v2)
        for refused in ["", "2", "2.0", "2.1.0", "1.1.0", "3.0.0", "0.0.1", "2.0.0-rc.1", "v2.0.0", "2.0.x", "02.0.0", "2.0.0.0", " 2.0.0"] {
            XCTAssertNil(ProtocolVersion.negotiate(vsn: refused), refused)
        }
    }

    func testVsnText() {
        XCTAssertEqual(ProtocolVersion.v1.vsn, "1.0.0")
        XCTAssertEqual(ProtocolVersion.negotiate(vsn: ProtocolVersion.v2.vsn), .v2)
    }
}

/// Refs gathered from several threads.
private final class LockedRefs: @unchecked Sendable {  // every access holds `lock`
    private let lock = NSLock()
    private var refs: [String] = []

    func append(_ more: [String]) { lock.withLock { refs.append(contentsOf: more) } }
    var all: [String] { lock.withLock { refs } }
}
