import Foundation
import NIOConcurrencyHelpers
import NIOCore
import RallyAccess
import RallyAuth
import RallyDirectory
import RallyHubTestSupport
import RallyProtocol
import RallyTestSupport
import XCTest
@testable import RallyHub

/// The node's channel index answers exactly what scanning every channel with `RevocationScope.affects` answers,
/// on random channels and changes, before and after channels and sockets go away.
final class ChannelIndexTests: XCTestCase {
    func testIndexAnswersWhatTheScanAnswersOnRandomChannels() async throws {
        var random = SeededGenerator(seed: 0x5eed_1dc5)
        let people = (0..<6).map { _ in UUID() }
        let events = (0..<3).map { _ in UUID() }
        let groups = (0..<2).map { _ in UUID() }
        let plans = (0..<2).map { _ in UUID() }
        func id(_ uuid: UUID) -> String { uuid.uuidString.lowercased() }
        let subtopics: [String] = people.map { "profile:\(id($0))" } + events.map { "event:\(id($0))" }
            + groups.map { "group:\(id($0))" } + plans.map { "plan:\(id($0))" }
            + plans.map { "location:plan:\(id($0))" } + people.prefix(3).map { "location:friends:\(id($0))" }
            + ["lobby", "event:\(id(events[0]).uppercased())", "feed:\(id(people[0]))", "Profile:\(id(people[1]))"]
        let subjects: [String?] = people.map { id($0) } + [people[2].uuidString, "user-1", nil, "slow-1", "slow-2"]

        let authorizer = HoldingAuthorizer()
        let harness = try await HubHarness(authorizer: authorizer)
        var clients: [TestClient] = []
        for index in 0..<40 {
            let subject = subjects.randomElement(using: &random)!
            let role = subject == nil ? (Bool.random(using: &random) ? "anon" : "service_role") : "authenticated"
            let client = try await harness.connect(loopIndex: index % 2, subject: subject, role: role)
            let count = Int.random(in: 1...4, using: &random)
            for (ref, subtopic) in subtopics.shuffled(using: &random).prefix(count).enumerated() {
                if subject?.hasPrefix("slow") == true {
                    client.send(topic: "realtime:" + subtopic, event: "phx_join",
                                payload: .object(["config": .emptyObject]), ref: "\(ref)", joinRef: "\(ref)")
                } else {
                    XCTAssertEqual(client.join("realtime:" + subtopic, ref: "\(ref)")?["status"], .string("ok"))
                }
            }
            clients.append(client)
        }
        XCTAssertTrue(authorizer.waitForHeld(atLeast: 1), "some joins are still being authorized")

        func changes() -> [DirectoryChange] {
            var list: [DirectoryChange] = [.resync, .notification(.insert, id: UUID(), user: people[0])]
            for _ in 0..<60 {
                let a = people.randomElement(using: &random)!, b = people.randomElement(using: &random)!
                let event = events.randomElement(using: &random)!
                let op: ChangeOperation = [.insert, .update, .delete].randomElement(using: &random)!
                list.append(contentsOf: [
                    .friendship(op, a: a, b: b, status: .accepted),
                    .user(op, user: a, privacy: .private),
                    .group(op, group: groups[0], privacy: .private),
                    .groupMember(op, group: groups.randomElement(using: &random)!, user: a),
                    .plan(op, plan: plans[0], status: "cancelled"),
                    .planParticipant(op, plan: plans.randomElement(using: &random)!, user: b, status: "declined"),
                    .event(op, event: event, visibility: .private, active: true, creator: a),
                    .attendance(op, event: event, user: b, status: "going", visibility: .public),
                    .groupMessage(op, id: 1, group: groups[1]),
                ])
            }
            return list
        }

        var nonEmpty = 0
        func compare(_ label: String) async throws {
            for change in changes() {
                let affects: @Sendable (String, String?) -> Bool = {
                    RevocationScope.affects(change, subtopic: $0, subject: $1)
                }
                let scan = try await harness.services.channelsConcerned(scope: nil, where: affects).get()
                let indexed: Set<String>
                if let scope = RevocationScope.channels(for: change) {
                    indexed = try await harness.services.channelsConcerned(scope: scope, where: affects).get()
                } else {
                    indexed = []
                }
                XCTAssertEqual(indexed.symmetricDifference(scan), [],
                               "\(label): \(change): index \(indexed.count), scan \(scan.count)")
                if !scan.isEmpty { nonEmpty += 1 }
            }
        }
        try await compare("all joined")

        // Some channels leave, some sockets close: the index follows.
        for (index, client) in clients.enumerated() where index % 3 == 0 {
            client.send(topic: "realtime:" + subtopics[index % subtopics.count], event: "phx_leave",
                        payload: .emptyObject, ref: "leave", joinRef: nil)
            client.send(topic: "phoenix", event: "heartbeat", payload: .emptyObject, ref: "hb")
            XCTAssertNotNil(client.waitForReply(ref: "hb"))
        }
        for client in clients.enumerated().filter({ $0.offset % 5 == 1 }).map(\.element) {
            try await client.connection.eventLoop.submit { client.connection.detach() }.get()
        }
        try await compare("after leaves and closes")
        XCTAssertGreaterThan(nonEmpty, 100, "the random changes concern channels")

        authorizer.releaseAll()
        try await harness.shutdown()
    }
}

/// Allows every join, but holds the decisions for users whose `sub` starts with `slow` until `releaseAll`.
final class HoldingAuthorizer: TopicAuthorizer, @unchecked Sendable {
    private let condition = NSCondition()
    private var held: [(EventLoopPromise<AuthorizationDecision>, String)] = []

    func authorize(subtopic: String, identity: Identity, isPrivate: Bool, on loop: EventLoop)
        -> EventLoopFuture<AuthorizationDecision> {
        guard identity.subject?.hasPrefix("slow") == true else { return loop.makeSucceededFuture(.allow(.full)) }
        condition.lock()
        defer { condition.unlock() }
        let promise = loop.makePromise(of: AuthorizationDecision.self)
        held.append((promise, subtopic))
        condition.broadcast()
        return promise.futureResult
    }

    func waitForHeld(atLeast count: Int, timeout: TimeInterval = 5) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while held.count < count {
            guard condition.wait(until: deadline) else { return false }
        }
        return true
    }

    func releaseAll() {
        condition.lock()
        let all = held
        held.removeAll()
        condition.unlock()
        for (promise, subtopic) in all { promise.succeed(.unauthorized(subtopic)) }
    }
}
