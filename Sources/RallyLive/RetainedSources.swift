import Foundation
import RallyDirectory
import RallyProtocol

/// `event:<id>`: the capacity counts and the event's details.
struct EventSource: RetainedSource {
    let store: any LiveStore

    func read(_ id: UUID) async throws -> [String: JSON]? {
        guard let details = try await store.eventDetails(id), let counts = try await store.capacity(of: id) else {
            return nil
        }
        return [LiveEvents.capacity: LivePayloads.capacity(counts, live: true),
                LiveEvents.event: LivePayloads.event(details, live: true)]
    }
}

/// `plan:<id>`: the plan's status.
struct PlanSource: RetainedSource {
    let store: any LiveStore

    func read(_ id: UUID) async throws -> [String: JSON]? {
        guard let plan = try await store.plan(id) else { return nil }
        return [LiveEvents.plan: LivePayloads.plan(plan, live: true)]
    }
}
