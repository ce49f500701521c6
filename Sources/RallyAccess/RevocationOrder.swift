import Foundation
import NIOConcurrencyHelpers
import RallyDirectory

/// The one ordering live data keeps with revocation: what a change delivers to a group, a plan or an event waits
/// for the revocations, started by earlier changes, of that same group, plan or event (a member removed and a
/// message right after: the removed member's channel closes before the message goes out). Everything else —
/// friendship and privacy-level changes above all, which come in bursts — never holds live data up.
final class RevocationOrder: Sendable {
    private struct State {
        /// Revocations in flight per topic key.
        var inFlight: [String: Int] = [:]
        var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]
    }

    private let state = NIOLockedValueBox(State())

    /// The topic whose channels a revoking change re-decides, when it is one topic.
    static func revokedTopic(of change: DirectoryChange) -> String? {
        switch change {
        case .group(_, let group, _), .groupMember(_, let group, _): return "group:\(group)"
        case .plan(_, let plan, _), .planParticipant(_, let plan, _, _): return "plan:\(plan)"
        case .event(_, let event, _, _, _), .attendance(_, let event, _, _, _): return "event:\(event)"
        default: return nil
        }
    }

    /// The topic a change delivers content to (chat, plan status, event details and capacity).
    static func contentTopic(of change: DirectoryChange) -> String? {
        switch change {
        case .groupMessage(_, _, let group, _, _): return "group:\(group)"
        case .plan(_, let plan, _): return "plan:\(plan)"
        case .event(_, let event, _, _, _), .attendance(_, let event, _, _, _): return "event:\(event)"
        default: return nil
        }
    }

    /// Waits until no revocation of `topic` is in flight.
    func waitForRevocations(of topic: String) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLockedValue { state -> Bool in
                guard (state.inFlight[topic] ?? 0) > 0 else { return true }
                state.waiting[topic, default: []].append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }

    func started(_ topic: String) {
        state.withLockedValue { $0.inFlight[topic, default: 0] += 1 }
    }

    func finished(_ topic: String) {
        let resumed = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            let left = (state.inFlight[topic] ?? 1) - 1
            state.inFlight[topic] = left > 0 ? left : nil
            guard left <= 0 else { return [] }
            return state.waiting.removeValue(forKey: topic) ?? []
        }
        for continuation in resumed { continuation.resume() }
    }
}
