import Foundation
import NIOCore
import RallyAuth
import RallyHubTestSupport
import RallyProtocol
import XCTest
@testable import RallyHub

/// A change that revokes access while a join is still being authorized must not let that join through on the
/// old facts: the join decides again as soon as it completes.
final class JoinRevalidationRaceTests: XCTestCase {
    func testChangeDuringAuthorizationIsAppliedOnceTheJoinCompletes() async throws {
        let authorizer = GatedAuthorizer()
        let harness = try await HubHarness(authorizer: authorizer)
        let client = try await harness.connect()
        client.send(topic: "realtime:room", event: "phx_join", payload: .object(["config": .emptyObject]), ref: "1",
                    joinRef: "1")
        let firstDecision = try XCTUnwrap(authorizer.waitForFirstCall())
        try await harness.services.revalidate(where: { _, _ in true }).get()
        firstDecision.succeed(.allow(.full))

        XCTAssertEqual(client.waitForReply(ref: "1")?["status"], .string("ok"))
        let system = client.transport.waitForEvent("system")
        XCTAssertEqual(system?.payloadValue?["message"],
                       .string("Unauthorized: You no longer have permission to read from this Channel topic: room"))
        XCTAssertNotNil(client.transport.waitForEvent("phx_close"))
        try await harness.shutdown()
    }
}

/// Holds its first decision until the test releases it; every later call denies.
final class GatedAuthorizer: TopicAuthorizer, @unchecked Sendable {
    private let condition = NSCondition()
    private var first: EventLoopPromise<AuthorizationDecision>?
    private var calls = 0

    func authorize(subtopic: String, identity: Identity, isPrivate: Bool, on loop: EventLoop)
        -> EventLoopFuture<AuthorizationDecision> {
        condition.lock()
        defer { condition.unlock() }
        calls += 1
        guard calls == 1 else { return loop.makeSucceededFuture(.unauthorized(subtopic)) }
        let promise = loop.makePromise(of: AuthorizationDecision.self)
        first = promise
        condition.broadcast()
        return promise.futureResult
    }

    func waitForFirstCall(timeout: TimeInterval = 5) -> EventLoopPromise<AuthorizationDecision>? {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while first == nil {
            guard condition.wait(until: deadline) else { return nil }
        }
        return first
    }
}
