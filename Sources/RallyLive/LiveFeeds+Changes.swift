import Foundation
import RallyDirectory

/// The change feed's side: every `DirectoryChange` (NOTIFY `rally_changes`, or the in-memory directory's stream)
/// goes to the feeds it concerns, in order.
extension LiveFeeds {
    public func handle(_ change: DirectoryChange) async {
        switch change {
        case .attendance(let operation, let event, let user, let status, let visibility):
            await events.changed(event)
            if operation != .delete, Self.activityVerbs.contains(status) {
                await activity.publish(ActivityItem(actor: user, event: event, verb: status,
                                                    visibility: visibility, at: Date()))
            }
        case .event(let operation, let event, let visibility, _, let creator):
            await events.changed(event)
            if operation == .insert, let creator {
                await activity.publish(ActivityItem(actor: creator, event: event, verb: "created_event",
                                                    visibility: visibility, at: Date()))
            }
        case .plan(_, let plan, _):
            await plans.changed(plan)
        case .notification(let operation, let id, let user, let inline):
            await notifications.handle(operation, id: id, user: user, inline: inline)
        case .groupMessage(let operation, let id, let group, let inline, let author):
            await chat.handle(operation, id: id, group: group, inline: inline, author: author)
        case .friendship(_, let a, let b, _):
            relationships.invalidate(a, b)
            await refreshBlocks { try await self.blocks.refresh([a, b]) }
            await activity.friendshipChanged(a, b)
        case .user(_, let user, _):
            relationships.invalidate(user)
        case .row(let row):
            rowChanges.enqueue(row)
        case .resync:
            await resync()
        case .group, .groupMember, .planParticipant:
            break
        }
    }

    /// The change feed is back after a loss: everything watched is read again and delivered.
    func resync() async {
        relationships.invalidateAll()
        await refreshBlocks { try await self.blocks.refreshAll() }
        await events.resync()
        await plans.resync()
        await chat.resync()
        await notifications.resync()
        await activity.resync()
        if isConnected { rowChanges.resumed() }
    }

    /// Attendance statuses that are activity a friend would want to see.
    static let activityVerbs: Set<String> = ["going", "interested", "maybe"]
}
