import Foundation
import NIOConcurrencyHelpers
import NIOCore
import RallyAccess
import RallyAuth
import RallyDirectory
import RallyHubTestSupport
import XCTest
@testable import RallyHub

/// The change pipeline: live feeds get every change in order without waiting for revocation; revocation of one
/// change does not wait for another; only the newest re-check of a channel is acted on.
final class ChangePipelineTests: XCTestCase {
    let a = UUID(), b = UUID(), group = UUID()

    func testLiveFeedsGetEveryChangeInOrderWhileRevocationIsHeld() async throws {
        let live = RecordingLive()
        let gate = RevocationGate(holding: { _ in true })
        let pipeline = ChangePipeline(live: live, revoke: gate.revoke)
        let (source, input) = InMemoryChangeSource.makeSource()
        pipeline.start([source])
        let sent: [DirectoryChange] = (0..<50).map { index in
            index % 2 == 0 ? .friendship(.delete, a: a, b: UUID(), status: .accepted)
                : .attendance(.insert, event: group, user: UUID(), status: "going", visibility: .public)
        }
        for change in sent { input.yield(change) }
        let ok1 = await live.waitFor(count: sent.count)
        XCTAssertTrue(ok1, "every change reached the live feeds")
        XCTAssertEqual(live.received, sent, "in order")
        XCTAssertTrue(live.listening.contains(0))
        let ok2 = await gate.waitForStarted(count: 25)
        XCTAssertTrue(ok2, "revocation started every revoking change")
        XCTAssertEqual(gate.finished.count, 0, "none of them finished: the live feeds did not wait for them")
        gate.releaseAll()
        let ok3 = await waitUntil { pipeline.pendingRevocations == 0 }
        XCTAssertTrue(ok3)
        await pipeline.stop()
    }

    func testRevocationOfOneChangeDoesNotWaitForAnother() async throws {
        let live = RecordingLive()
        let slow = DirectoryChange.friendship(.delete, a: a, b: b, status: .accepted)
        let fast = DirectoryChange.groupMember(.delete, group: group, user: b)
        let gate = RevocationGate(holding: { $0 == slow })
        let pipeline = ChangePipeline(live: live, revoke: gate.revoke)
        let (source, input) = InMemoryChangeSource.makeSource()
        pipeline.start([source])
        input.yield(slow)
        input.yield(fast)
        let ok4 = await waitUntil { gate.finished.contains(fast) }
        XCTAssertTrue(ok4, "the later change was decided")
        XCTAssertFalse(gate.finished.contains(slow), "while the earlier one is still being decided")
        XCTAssertEqual(pipeline.pendingRevocations, 1)
        gate.releaseAll()
        let ok5 = await waitUntil { pipeline.pendingRevocations == 0 }
        XCTAssertTrue(ok5)
        XCTAssertEqual(Set(gate.finished), [slow, fast])
        await pipeline.stop()
    }

    func testAtMostTheBoundIsDecidedAtOnce() async throws {
        let live = RecordingLive()
        let gate = RevocationGate(holding: { _ in true })
        let pipeline = ChangePipeline(live: live, maxConcurrentRevocations: 2, revoke: gate.revoke)
        let (source, input) = InMemoryChangeSource.makeSource()
        pipeline.start([source])
        let sent = (0..<6).map { _ in DirectoryChange.groupMember(.delete, group: group, user: UUID()) }
        for change in sent { input.yield(change) }
        let ok6 = await live.waitFor(count: sent.count)
        XCTAssertTrue(ok6)
        let ok7 = await gate.waitForStarted(count: 2)
        XCTAssertTrue(ok7)
        XCTAssertEqual(pipeline.pendingRevocations, 6)
        // Released one at a time: each release lets exactly one more start.
        for released in 1...6 {
            gate.releaseOne()
            let ok8 = await waitUntil { gate.finished.count == released }
            XCTAssertTrue(ok8)
            let ok9 = await gate.waitForStarted(count: min(6, released + 2))
            XCTAssertTrue(ok9)
        }
        let ok10 = await waitUntil { pipeline.pendingRevocations == 0 }
        XCTAssertTrue(ok10)
        XCTAssertEqual(gate.maxInFlight, 2)
        await pipeline.stop()
    }

    func testContentForATopicWaitsForThatTopicsEarlierRevocationOnly() async throws {
        let live = RecordingLive()
        let removal = DirectoryChange.groupMember(.delete, group: group, user: b)
        let gate = RevocationGate(holding: { $0 == removal })
        let pipeline = ChangePipeline(live: live, revoke: gate.revoke)
        let (source, input) = InMemoryChangeSource.makeSource()
        pipeline.start([source])
        let message = DirectoryChange.groupMessage(.insert, id: 1, group: group)
        let unrelated = DirectoryChange.friendship(.insert, a: a, b: b, status: .pending)
        input.yield(removal)
        input.yield(message)
        let started = await gate.waitForStarted(count: 1)
        XCTAssertTrue(started)
        let removalSeen = await live.waitFor(count: 1)
        XCTAssertTrue(removalSeen)
        XCTAssertEqual(live.received, [removal], "the message waits for the removal's revocation")
        gate.releaseAll()
        let all = await live.waitFor(count: 2)
        XCTAssertTrue(all)
        XCTAssertEqual(live.received, [removal, message])
        input.yield(unrelated)
        let three = await live.waitFor(count: 3)
        XCTAssertTrue(three, "a friendship change waits for nothing")
        await pipeline.stop()
    }

    func testAChangeSourceReadsAsAnAsyncSequence() async {
        let (source, input) = InMemoryChangeSource.makeSource()
        let sent: [DirectoryChange] = [.resync, .groupMember(.insert, group: group, user: a),
                                       .friendship(.delete, a: a, b: b, status: .accepted)]
        for change in sent { input.yield(change) }
        input.finish()
        var received: [DirectoryChange] = []
        for await change in source.changes() { received.append(change) }
        XCTAssertEqual(received, sent)
    }

    /// Two re-checks of one channel in flight: the older one answers last, with more access than the newer one
    /// found. The newer answer stands.
    func testAnOlderAllowNeverWinsOverANewerDecision() async throws {
        let authorizer = ScriptedRecheckAuthorizer()
        let harness = try await HubHarness(authorizer: authorizer)
        let client = try await harness.connect()
        XCTAssertEqual(client.join("realtime:room")?["status"], .string("ok"))
        let older = harness.services.revalidate(where: { _, _ in true })
        let olderDecision = try XCTUnwrap(authorizer.waitForHeld(count: 1))
        let newer = harness.services.revalidate(where: { _, _ in true })
        let newerDecision = try XCTUnwrap(authorizer.waitForHeld(count: 2))
        newerDecision.succeed(.allow(TopicAccess(canWrite: false, canTrackPresence: false)))
        try await newer.get()
        olderDecision.succeed(.allow(.full))
        try await older.get()
        let access = try await client.connection.eventLoop.submit {
            client.connection.registry.channel("realtime:room")?.access
        }.get()
        XCTAssertEqual(access?.canWrite, false, "the older allow did not restore write access")
        XCTAssertEqual(access?.canTrackPresence, false)

        // And an older deny arriving after a newer allow does not close the channel: the newer facts allow it.
        let stale = harness.services.revalidate(where: { _, _ in true })
        let staleDecision = try XCTUnwrap(authorizer.waitForHeld(count: 3))
        let fresh = harness.services.revalidate(where: { _, _ in true })
        let freshDecision = try XCTUnwrap(authorizer.waitForHeld(count: 4))
        freshDecision.succeed(.allow(.full))
        try await fresh.get()
        staleDecision.succeed(.unauthorized("room"))
        try await stale.get()
        try await harness.settle(client, topic: "realtime:room", ref: "hb")
        XCTAssertEqual(client.transport.count(of: "phx_close"), 0)
        try await harness.shutdown()
    }

    /// Asks `condition` until it holds or `timeout` passes.
    private func waitUntil(timeout: TimeInterval = 5, _ condition: @Sendable () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            guard Date() < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return true
    }
}

/// Records what the live feeds were handed.
final class RecordingLive: LiveChangeHandler, @unchecked Sendable {
    private let lock = NSLock()
    private var changes: [DirectoryChange] = []
    private var listened: Set<Int> = []

    var received: [DirectoryChange] { lock.withLock { changes } }
    var listening: Set<Int> { lock.withLock { listened } }

    func handle(_ change: DirectoryChange) async { lock.withLock { changes.append(change) } }
    func feedListening(_ index: Int) { lock.withLock { _ = listened.insert(index) } }
    func feedLost(_ index: Int) async { lock.withLock { _ = listened.remove(index) } }

    func waitFor(count: Int, timeout: TimeInterval = 5) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while received.count < count {
            guard Date() < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return true
    }
}

/// A revocation that holds the changes `holding` selects until released, and records starts and ends.
final class RevocationGate: @unchecked Sendable {
    private let lock = NSLock()
    private let holding: @Sendable (DirectoryChange) -> Bool
    private var waiting: [CheckedContinuation<Void, Never>] = []
    private var releasedAhead = 0
    private var releasedAll = false
    private var started: [DirectoryChange] = []
    private var ended: [DirectoryChange] = []
    private var inFlight = 0
    private(set) var maxInFlightSeen = 0

    init(holding: @escaping @Sendable (DirectoryChange) -> Bool) { self.holding = holding }

    var finished: [DirectoryChange] { lock.withLock { ended } }
    var maxInFlight: Int { lock.withLock { maxInFlightSeen } }

    var revoke: @Sendable (DirectoryChange) async -> Void {
        { [self] change in
            lock.withLock {
                started.append(change)
                inFlight += 1
                maxInFlightSeen = max(maxInFlightSeen, inFlight)
            }
            if holding(change) {
                await withCheckedContinuation { continuation in
                    let resumeNow: Bool = lock.withLock {
                        if releasedAll { return true }
                        if releasedAhead > 0 { releasedAhead -= 1; return true }
                        waiting.append(continuation)
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
            lock.withLock {
                inFlight -= 1
                ended.append(change)
            }
        }
    }

    func waitForStarted(count: Int, timeout: TimeInterval = 5) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while lock.withLock({ started.count }) < count {
            guard Date() < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return true
    }

    /// Lets the longest-waiting held change finish (or the next one to arrive).
    func releaseOne() {
        let next: CheckedContinuation<Void, Never>? = lock.withLock {
            if waiting.isEmpty { releasedAhead += 1; return nil }
            return waiting.removeFirst()
        }
        next?.resume()
    }

    func releaseAll() {
        let all: [CheckedContinuation<Void, Never>] = lock.withLock {
            releasedAll = true
            defer { waiting.removeAll() }
            return waiting
        }
        for continuation in all { continuation.resume() }
    }
}

/// Allows every join at once; holds every later decision (the re-checks) until the test answers it.
final class ScriptedRecheckAuthorizer: TopicAuthorizer, @unchecked Sendable {
    private let condition = NSCondition()
    private var joins = 0
    private var held: [EventLoopPromise<AuthorizationDecision>] = []

    func authorize(subtopic: String, identity: Identity, isPrivate: Bool, on loop: EventLoop)
        -> EventLoopFuture<AuthorizationDecision> {
        condition.lock()
        defer { condition.unlock() }
        joins += 1
        guard joins > 1 else { return loop.makeSucceededFuture(.allow(.full)) }
        let promise = loop.makePromise(of: AuthorizationDecision.self)
        held.append(promise)
        condition.broadcast()
        return promise.futureResult
    }

    /// The `count`-th held decision, once it was asked for.
    func waitForHeld(count: Int, timeout: TimeInterval = 5) -> EventLoopPromise<AuthorizationDecision>? {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while held.count < count {
            guard condition.wait(until: deadline) else { return nil }
        }
        return held[count - 1]
    }
}
