import Foundation
import RallyDirectory
import XCTest

extension LiveStoreContract {
    static func messages(_ h: any DirectoryHarness) async throws {
        let group = F.privateGroup
        let one = try await h.live.storeMessage(NewMessage(group: group, user: F.v, body: "one"))
        let two = try await h.live.storeMessage(NewMessage(group: group, user: F.friend, body: "two"))
        let elsewhere = try await h.live.storeMessage(NewMessage(group: F.publicGroup, user: F.friend, body: "hi"))
        let three = try await h.live.storeMessage(NewMessage(group: group, user: nil, body: "three",
                                                             metadataJSON: #"{"kind": "poll"}"#))
        XCTAssertEqual([one.body, two.body, three.body], ["one", "two", "three"])
        XCTAssertEqual(three.metadataJSON, #"{"kind": "poll"}"#)
        XCTAssertNil(three.user)
        XCTAssertTrue(one.id < two.id && two.id < elsewhere.id && elsewhere.id < three.id, "ids grow")
        XCTAssertTrue(one.createdAt < two.createdAt && two.createdAt < three.createdAt, "times grow with ids")

        let byID = try await h.live.message(two.id)
        XCTAssertEqual(byID, two, "read back whole")
        let missing = try await h.live.message(three.id + 1000)
        XCTAssertNil(missing)
        let latest = try await h.live.latestMessageID(group: group)
        XCTAssertEqual(latest, three.id)
        let none = try await h.live.latestMessageID(group: F.friendsGroup)
        XCTAssertEqual(none, 0)

        try await afterAndSince(h, [one, two, three])
        do {
            _ = try await h.live.storeMessage(NewMessage(group: F.unknown, user: F.v, body: "lost"))
            XCTFail("a message for an unknown group is refused")
        } catch {}
    }

    private static func afterAndSince(_ h: any DirectoryHarness, _ stored: [StoredMessage]) async throws {
        let group = F.privateGroup
        let all = try await h.live.messages(group: group, after: 0, limit: 10)
        XCTAssertEqual(all, stored, "only this group's, in id order")
        let afterFirst = try await h.live.messages(group: group, after: stored[0].id, limit: 10)
        XCTAssertEqual(afterFirst, Array(stored[1...]))
        let oldestOne = try await h.live.messages(group: group, after: 0, limit: 1)
        XCTAssertEqual(oldestOne, [stored[0]], "after: a limit keeps the oldest")
        let newestTwo = try await h.live.messages(group: group, since: .distantPast, limit: 2)
        XCTAssertEqual(newestTwo, Array(stored[1...]), "since: a limit keeps the newest, in id order")
        let sinceSecond = try await h.live.messages(group: group, since: stored[1].createdAt, limit: 10)
        XCTAssertEqual(sinceSecond, Array(stored[1...]), "created at or after")
        let future = try await h.live.messages(group: group, since: .distantFuture, limit: 10)
        XCTAssertEqual(future, [])
        let unknown = try await h.live.messages(group: F.unknown, after: 0, limit: 10)
        XCTAssertEqual(unknown, [])
    }
}
