import Foundation
import RallyAuth
import RallyProtocol
import XCTest
@testable import RallyHub

/// `JoinStateMachine` without event loops: every input in every state, and the races the hub tests used to meet
/// only under load (leave during authorize, re-join during subscribe, revocation during the feeds' join, …).
final class JoinStateMachineTests: XCTestCase {
    typealias Machine = JoinStateMachine
    private static let identity = Identity(role: .authenticated, rawRole: "authenticated", subject: "u",
                                           expiresAt: Date(timeIntervalSince1970: 1000))
    private static let backlog = JoinBacklog(dedupeKeys: ["k"])
    private static let presence: JSON = .string("state")

    /// Every input, each with a short name.
    private static let inputs: [(String, Machine.Input)] = [
        ("authorized", .authorized(identity, .full)), ("refused", .refused(reason: "no", metric: "m")),
        ("subscribed", .subscribed(readsPresence: true)), ("subscribeFailed", .subscribeFailed),
        ("feedsReady", .feedsReady(backlog)), ("feedsRefused", .feedsRefused(reason: "bad")),
        ("feedsFailed", .feedsFailed), ("presenceRead", .presenceRead(presence)),
        ("accessMayHaveChanged", .accessMayHaveChanged), ("ended", .ended),
    ]

    /// Actions as short names, to compare sequences.
    private func names(_ actions: [Machine.Action]) -> [String] {
        actions.map { action in
            switch action {
            case .subscribe: return "subscribe"
            case .startFeeds: return "startFeeds"
            case .readPresence: return "readPresence"
            case .acknowledge(_, let presence): return presence == nil ? "acknowledge" : "acknowledge+presence"
            case .recheckAccess: return "recheckAccess"
            case .unsubscribe: return "unsubscribe"
            case .leaveFeeds: return "leaveFeeds"
            case .refuse(let reason, let metric): return "refuse(\(reason),\(metric))"
            }
        }
    }

    private func stateName(_ machine: Machine) -> String {
        switch machine.state {
        case .authorizing: return "authorizing"
        case .subscribing: return "subscribing"
        case .awaitingFeeds(let presence): return presence ? "awaitingFeeds+presence" : "awaitingFeeds"
        case .awaitingPresence: return "awaitingPresence"
        case .joined: return "joined"
        case .closed: return "closed"
        }
    }

    /// A machine driven to a state by the happy path.
    private func machine(at state: String) -> Machine {
        var machine = Machine()
        let path: [Machine.Input] = [.authorized(Self.identity, .full), .subscribed(readsPresence: true),
                                     .feedsReady(Self.backlog), .presenceRead(Self.presence)]
        let order = ["authorizing", "subscribing", "awaitingFeeds+presence", "awaitingPresence", "joined"]
        if state == "closed" {
            _ = machine.receive(.ended)
            return machine
        }
        for input in path.prefix(order.firstIndex(of: state)!) { _ = machine.receive(input) }
        XCTAssertEqual(stateName(machine), state)
        return machine
    }

    private func step(_ state: String, _ input: Machine.Input) -> (actions: [String], state: String) {
        var machine = machine(at: state)
        let actions = names(machine.receive(input))
        return (actions, stateName(machine))
    }

    func testHappyPathWithPresence() {
        var machine = Machine()
        XCTAssertEqual(names(machine.receive(.authorized(Self.identity, .full))), ["subscribe"])
        XCTAssertEqual(names(machine.receive(.subscribed(readsPresence: true))), ["startFeeds"])
        XCTAssertEqual(names(machine.receive(.feedsReady(Self.backlog))), ["readPresence"])
        let ack = machine.receive(.presenceRead(Self.presence))
        guard case .acknowledge(let backlog, let presence)? = ack.first, ack.count == 1 else { return XCTFail() }
        XCTAssertEqual(backlog.dedupeKeys, ["k"])
        XCTAssertEqual(presence, Self.presence)
        XCTAssertEqual(stateName(machine), "joined")
        XCTAssertTrue(machine.isAuthorized)
        XCTAssertTrue(machine.isFeedJoined)
    }

    func testWithoutPresenceTheFeedsReadyAcknowledgesAtOnce() {
        var machine = Machine()
        _ = machine.receive(.authorized(Self.identity, .full))
        _ = machine.receive(.subscribed(readsPresence: false))
        XCTAssertEqual(names(machine.receive(.feedsReady(.empty))), ["acknowledge"])
        XCTAssertEqual(stateName(machine), "joined")
    }

    /// The expected answer of every input in every state (states reached by the happy path).
    func testEveryInputInEveryState() {
        let undoFeeds = ["unsubscribe", "leaveFeeds"]
        let expected: [String: [String: ([String], String)]] = [
            "authorizing": [
                "authorized": (["subscribe"], "subscribing"),
                "refused": (["refuse(no,m)"], "closed"),
                "accessMayHaveChanged": ([], "authorizing"),
                "ended": ([], "closed"),
            ],
            "subscribing": [
                "subscribed": (["startFeeds"], "awaitingFeeds+presence"),
                "subscribeFailed": (["unsubscribe", "refuse(\(Machine.busUnavailable),bus_unavailable)"], "closed"),
                "accessMayHaveChanged": (["recheckAccess"], "subscribing"),
                "ended": (["unsubscribe"], "closed"),
            ],
            "awaitingFeeds+presence": [
                "feedsReady": (["readPresence"], "awaitingPresence"),
                "feedsRefused": (undoFeeds + ["refuse(bad,feed_refused)"], "closed"),
                "feedsFailed": (undoFeeds + ["refuse(\(Machine.feedFailed),feed_failed)"], "closed"),
                "accessMayHaveChanged": (["recheckAccess"], "awaitingFeeds+presence"),
                "ended": (undoFeeds, "closed"),
            ],
            "awaitingPresence": [
                "presenceRead": (["acknowledge+presence"], "joined"),
                "accessMayHaveChanged": (["recheckAccess"], "awaitingPresence"),
                "ended": (undoFeeds, "closed"),
            ],
            "joined": [
                "accessMayHaveChanged": (["recheckAccess"], "joined"),
                "ended": (undoFeeds, "closed"),
            ],
            "closed": [:],
        ]
        for (state, answers) in expected {
            for (name, input) in Self.inputs {
                // An input a state does not expect changes nothing and does nothing.
                let (actions, after) = answers[name] ?? ([], state)
                let result = step(state, input)
                XCTAssertEqual(result.actions, actions, "\(name) in \(state)")
                XCTAssertEqual(result.state, after, "\(name) in \(state)")
            }
        }
    }

    func testLeaveDuringAuthorizeThenTheLateDecisionDoesNothing() {
        var machine = Machine()
        XCTAssertEqual(names(machine.receive(.ended)), [])
        XCTAssertEqual(names(machine.receive(.authorized(Self.identity, .full))), [])
        XCTAssertEqual(names(machine.receive(.refused(reason: "no", metric: "m"))), [])
        XCTAssertTrue(machine.isClosed)
    }

    /// A re-join with a new join_ref while subscribing: the old join ends (its subscription undone at once), the new
    /// one starts from authorizing, and the old subscribe completion is answered by nothing.
    func testRejoinDuringSubscribe() {
        var old = Machine()
        _ = old.receive(.authorized(Self.identity, .full))
        XCTAssertEqual(names(old.receive(.ended)), ["unsubscribe"])
        var new = Machine()
        XCTAssertEqual(names(old.receive(.subscribed(readsPresence: false))), [])
        XCTAssertEqual(names(old.receive(.subscribeFailed)), [])
        XCTAssertEqual(names(new.receive(.authorized(Self.identity, .full))), ["subscribe"])
        XCTAssertEqual(names(new.receive(.subscribed(readsPresence: false))), ["startFeeds"])
    }

    /// Revocation while the feeds join: decided at once (the channel is authorized), and the join goes on; a
    /// revocation that closes it ends it, and the feeds' late answer does nothing.
    func testRevocationDuringFeeds() {
        var machine = machine(at: "awaitingFeeds+presence")
        XCTAssertEqual(names(machine.receive(.accessMayHaveChanged)), ["recheckAccess"])
        XCTAssertEqual(names(machine.receive(.ended)), ["unsubscribe", "leaveFeeds"])
        XCTAssertEqual(names(machine.receive(.feedsReady(Self.backlog))), [])
        XCTAssertEqual(names(machine.receive(.feedsFailed)), [])
    }

    /// A change during authorize may predate the decision: access is decided again right after the ack, once.
    func testRevocationDuringAuthorizeRechecksAfterTheAck() {
        var machine = Machine()
        XCTAssertEqual(names(machine.receive(.accessMayHaveChanged)), [])
        XCTAssertEqual(names(machine.receive(.accessMayHaveChanged)), [])
        _ = machine.receive(.authorized(Self.identity, .full))
        _ = machine.receive(.subscribed(readsPresence: false))
        XCTAssertEqual(names(machine.receive(.feedsReady(.empty))), ["acknowledge", "recheckAccess"])
        XCTAssertEqual(names(machine.receive(.accessMayHaveChanged)), ["recheckAccess"])
    }

    func testRevocationDuringAuthorizeThenRefusalDropsTheRecheck() {
        var machine = Machine()
        _ = machine.receive(.accessMayHaveChanged)
        XCTAssertEqual(names(machine.receive(.refused(reason: "no", metric: "m"))), ["refuse(no,m)"])
        XCTAssertFalse(machine.recheckPending)
    }

    /// A token refresh mid-join is not routed to a join still authorizing ("unmatched topic"); once authorized
    /// it is decided by the channel, and a token of another identity ends the join like any close.
    func testTokenChangeMidJoinEndsLikeAClose() {
        var machine = machine(at: "subscribing")
        XCTAssertTrue(machine.isAuthorized)
        XCTAssertFalse(machine.isFeedJoined)
        XCTAssertEqual(names(machine.receive(.ended)), ["unsubscribe"])
        XCTAssertFalse(machine.isAuthorized)
    }

    /// Through the registry: a completion for a replaced join (an older join_ref) finds no machine, and the
    /// current join is not touched by it; revocation during authorize is kept by the current join only.
    func testRegistryAnswersAStaleCompletionWithNothing() {
        var registry = ChannelRegistry()
        let old = registry.beginJoin(topic: "realtime:a", joinRef: .string("1"), config: SharedJoinConfig(JoinConfig()))
        XCTAssertNotNil(registry.step(topic: "realtime:a", generation: old, .accessMayHaveChanged))
        let new = registry.beginJoin(topic: "realtime:a", joinRef: .string("2"), config: SharedJoinConfig(JoinConfig()))
        XCTAssertNil(registry.step(topic: "realtime:a", generation: old, .authorized(Self.identity, .full)))
        XCTAssertEqual(registry.channel("realtime:a")?.phase, .joining)
        XCTAssertEqual(registry.channel("realtime:a")?.join.recheckPending, false)
        let step = registry.step(topic: "realtime:a", generation: new, .authorized(Self.identity, .full))
        XCTAssertEqual(step.map { names($0.actions) }, ["subscribe"])
        XCTAssertEqual(registry.channel("realtime:a")?.phase, .joined)
        XCTAssertNil(registry.step(topic: "realtime:b", generation: new, .feedsFailed))
    }
}
