import RallyDirectory
import RallyHub

/// Applies directory changes to the live subscriptions of a node: every change that may take a right away
/// (`DirectoryChange.mayRevoke`) re-decides the joined channels it touches (`RevocationScope`, found through the
/// node's `ChannelIndex`) on each connection's loop, and the ones no longer allowed are closed with a `system` error
/// (`Unauthorized: You no longer have permission to read from this Channel topic: <subtopic>`) then `phx_close`.
/// `.resync` (the change feed reconnected) re-decides every channel.
public struct LiveRevocation: Sendable {
    let services: HubServices

    public init(services: HubServices) {
        self.services = services
    }

    /// Handles one change; returns once every affected channel has been decided again (and closed if denied).
    public func handle(_ change: DirectoryChange) async {
        guard let scope = RevocationScope.channels(for: change) else { return }
        try? await services.revalidate(scope: scope, matching: {
            RevocationScope.affects(change, topic: $0.topic, subject: $0.subject)
        }).get()
    }

    /// Handles every change of `changes`, in order, until the stream ends or the task is cancelled.
    public func run(_ changes: AsyncStream<DirectoryChange>) async {
        for await change in changes {
            await handle(change)
        }
    }
}
