import NIOConcurrencyHelpers
import RallyDirectory
import RallyHub

/// What the live feeds take from the change pipeline (`LiveFeeds` in the server assembly).
public protocol LiveChangeHandler: Sendable {
    /// One change, in the order its source delivered it; the next change waits for this one.
    func handle(_ change: DirectoryChange) async
    /// Change source `index` sees every change from now on.
    func feedListening(_ index: Int)
    /// Change source `index` may have missed changes (until its `.resync`).
    func feedLost(_ index: Int) async
}

/// The node's directory changes, from their sources to the two things they drive:
///
/// - **live feeds** (capacity, chat, notifications, activity) get every change of a source in the source's
///   order, as soon as it is read; the one wait: content for a group, plan or event waits for revocations of
///   that same topic started by earlier changes (`RevocationOrder`), so a removed member never gets what
///   follows the removal — bursts of friendship changes hold nothing up;
/// - **revocation** (`LiveRevocation`) runs beside them, from its own queue: the changes that may take a right
///   away (`DirectoryChange.mayRevoke`) are decided concurrently, at most `maxConcurrentRevocations` at a time,
///   so one change never waits for unrelated ones. That is safe because every re-check asks the directory for the
///   facts current when it starts, and a channel acts only on the answer of its newest re-check
///   (`ClientConnection.revalidate`): an "allow" read before a later change never wins over the "deny" of the
///   re-check that change started.
///
/// A source's loss and return (`onLost`, `onListening`, then `.resync`) go to the live feeds with the source's
/// index; `.resync` also re-decides every channel.
public final class ChangePipeline: Sendable {
    public static let defaultMaxConcurrentRevocations = 256

    private let live: any LiveChangeHandler
    private let revoke: @Sendable (DirectoryChange) async -> Void
    private let maxConcurrentRevocations: Int
    private let revocations: AsyncStream<DirectoryChange>
    private let revocationQueue: AsyncStream<DirectoryChange>.Continuation
    private let pending = NIOLockedValueBox(0)
    private let order = RevocationOrder()
    private let tasks = NIOLockedValueBox<[Task<Void, Never>]>([])

    /// `revoke` decides one change again (its channels re-checked, the denied closed) and returns when done.
    public init(live: any LiveChangeHandler, maxConcurrentRevocations: Int = defaultMaxConcurrentRevocations,
                revoke: @escaping @Sendable (DirectoryChange) async -> Void) {
        self.live = live
        self.revoke = revoke
        self.maxConcurrentRevocations = max(1, maxConcurrentRevocations)
        (revocations, revocationQueue) = AsyncStream.makeStream(of: DirectoryChange.self)
    }

    /// Revocation on the node's open channels (`LiveRevocation`).
    public convenience init(services: HubServices, live: any LiveChangeHandler,
                            maxConcurrentRevocations: Int = defaultMaxConcurrentRevocations) {
        let revocation = LiveRevocation(services: services)
        self.init(live: live, maxConcurrentRevocations: maxConcurrentRevocations) { await revocation.handle($0) }
    }

    /// Changes handed to revocation and not decided yet (queued or in flight).
    public var pendingRevocations: Int { pending.withLockedValue { $0 } }

    /// Starts reading every source (source `index` as in `sources`) and deciding revocations. Call once.
    public func start(_ sources: [any ChangeSource]) {
        var started = [Task { await self.runRevocations() }]
        for (index, source) in sources.enumerated() {
            let live = self.live
            started.append(Task {
                await source.run(onListening: { live.feedListening(index) }, onLost: { await live.feedLost(index) },
                                 handle: { await self.deliver($0) })
            })
        }
        tasks.withLockedValue { $0.append(contentsOf: started) }
    }

    /// One change from a source: queued for revocation (which never holds up what follows), then handed to the
    /// live feeds; returns when they have it.
    public func deliver(_ change: DirectoryChange) async {
        if let topic = RevocationOrder.contentTopic(of: change) { await order.waitForRevocations(of: topic) }
        if change.mayRevoke {
            pending.withLockedValue { $0 += 1 }
            if let topic = RevocationOrder.revokedTopic(of: change) { order.started(topic) }
            revocationQueue.yield(change)
        }
        await live.handle(change)
    }

    /// Stops reading the sources, then deciding revocations (those under way finish).
    public func stop() async {
        let running = tasks.withLockedValue { current in
            defer { current.removeAll() }
            return current
        }
        for task in running.dropFirst() {
            task.cancel()
            await task.value
        }
        revocationQueue.finish()
        running.first?.cancel()
        await running.first?.value
    }

    private func runRevocations() async {
        let limit = maxConcurrentRevocations
        await withTaskGroup(of: Void.self) { group in
            var inFlight = 0
            for await change in revocations {
                if inFlight >= limit {
                    await group.next()
                    inFlight -= 1
                }
                group.addTask { [revoke, pending, order] in
                    await revoke(change)
                    if let topic = RevocationOrder.revokedTopic(of: change) { order.finished(topic) }
                    pending.withLockedValue { $0 -= 1 }
                }
                inFlight += 1
            }
        }
    }
}
