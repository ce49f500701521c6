import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import RallyAuth
import RallyDirectory
import RallyHub
import RallyPrivacy
import RallyProtocol

/// `postgres_changes` (docs/live-data.md): the channels of this node that asked for rows of the served tables,
/// and, for each row the change feed brings, who of them may see it. Each subscriber gets the ids of its own
/// bindings that the row matched; the row (and the old row) is shown only where `RowPrivacy` allows.
final class PostgresChangesFeed: Sendable {
    struct Subscriber: Sendable {
        let topic: String
        let viewer: ViewerIdentity
        let bindings: [ChangeBinding]
        let tables: Set<String>

        init(topic: String, viewer: ViewerIdentity, bindings: [ChangeBinding]) {
            self.topic = topic
            self.viewer = viewer
            self.bindings = bindings
            tables = Set(bindings.map(\.table.name))
        }
    }

    let hub: Hub
    private let reader: (any RowReader)?
    private let privacy: RowPrivacy
    private let logger: Logger
    let subscribers = NIOLockedValueBox<[UInt64: Subscriber]>([:])
    /// Each served table's columns, read once (the `columns` of every change).
    private let columns = NIOLockedValueBox<[String: [(name: String, type: String)]]>([:])

    /// Rows waiting for their privacy decisions, in commit order: deciding them (directory reads per subscriber)
    /// never holds up the other live feeds.
    private let queue: AsyncStream<RowChange>.Continuation
    /// When channels were last told that rows were dropped.
    let lastDropNotice = NIOLockedValueBox<NIODeadline?>(nil)

    /// Most rows waiting; past it a row is dropped and logged.
    static let maxQueuedRows = 10_000

    init(hub: Hub, directory: any Directory, store: any LiveStore, relationships: RelationshipCache,
         reader: (any RowReader)?, logger: Logger) {
        self.hub = hub
        self.reader = reader
        self.privacy = RowPrivacy(directory: directory, store: store, relationships: relationships)
        self.logger = logger
        let (stream, queue) = AsyncStream.makeStream(of: RowChange.self,
                                                     bufferingPolicy: .bufferingOldest(Self.maxQueuedRows))
        self.queue = queue
        Task { [weak self] in
            for await change in stream {
                guard let self else { return }
                await self.handle(change)
            }
        }
    }

    deinit { queue.finish() }

    /// Hands a row to the queue (from the change feed, in order); a row of a table nobody here asked for is
    /// dropped at once (it was committed before any join that could want it was acknowledged).
    func enqueue(_ change: RowChange) {
        guard subscribers.withLockedValue({ $0.values.contains { $0.tables.contains(change.table) } }) else { return }
        if case .dropped = queue.yield(change) {
            logger.warning("postgres_changes row dropped: queue full", metadata: ["table": "\(change.table)"])
            tellDropped(change.table)
        }
    }

    /// Registers the join's bindings (before the join is acknowledged: from now on no row is missed), or says
    /// why they cannot be served. Nil when the join asked for none.
    func subscribe(_ join: FeedJoin) async -> FeedJoinOutcome? {
        guard !join.config.postgresChanges.isEmpty else { return nil }
        guard let reader else {
            return .refused(BindingRefusal("this node reads no PostgreSQL change feed (RALLY_DATABASE_URL)").reason)
        }
        let bindings: [ChangeBinding]
        switch ChangeBinding.parse(join.config.postgresChanges) {
        case .success(let parsed): bindings = parsed
        case .failure(let refusal): return .refused(refusal.reason)
        }
        do {
            for table in Set(bindings.map(\.table)) where columns.withLockedValue({ $0[table.name] }) == nil {
                let read = try await reader.columns(of: table)
                columns.withLockedValue { $0[table.name] = read }
            }
        } catch {
            return .refused(LiveFeeds.unavailable)
        }
        if let unknown = unknownSelected(bindings) {
            return .refused(BindingRefusal("select names \(unknown), which is not a column of the table").reason)
        }
        let viewer = ViewerIdentity(role: Self.role(of: join.identity), subject: join.identity.subject)
        subscribers.withLockedValue {
            $0[join.subscriptionID] = Subscriber(topic: join.topic, viewer: viewer, bindings: bindings)
        }
        // Supabase's confirmation; held with the live rows until the join is acknowledged, then sent after it.
        hub.publishPush(topic: join.topic, event: "system",
                        payload: Replies.system(ok: true, message: "Subscribed to PostgreSQL", channel: join.subtopic,
                                                extension: "postgres_changes"),
                        audience: SubscriptionAudience(members: [join.subscriptionID]))
        return nil
    }

    /// A `select`ed column the table does not have.
    private func unknownSelected(_ bindings: [ChangeBinding]) -> String? {
        let known = columns.withLockedValue { $0 }
        for binding in bindings {
            let names = Set(known[binding.table.name]?.map(\.name) ?? [])
            if let unknown = binding.select?.first(where: { !names.contains($0) }) { return unknown }
        }
        return nil
    }

    func unsubscribe(_ subscriptionID: UInt64) {
        subscribers.withLockedValue { _ = $0.removeValue(forKey: subscriptionID) }
    }

    // MARK: Rows

    func handle(_ change: RowChange) async {
        let interested = subscribers.withLockedValue { all in
            all.filter { $0.value.tables.contains(change.table) }
        }
        guard !interested.isEmpty, let rows = await rows(of: change) else { return }
        let matchRow = change.operation == .delete ? rows.old : rows.new
        let sights = await sights(of: change, rows: rows)
        var groups: [DeliveryKey: Set<UInt64>] = [:]
        var decided: [ViewerIdentity: (row: Bool, old: Bool)] = [:]
        for (id, subscriber) in interested {
            let matched = Self.matched(subscriber.bindings, change: change, row: matchRow ?? JSONObject())
            guard !matched.isEmpty else { continue }
            let sight: (row: Bool, old: Bool)
            if let known = decided[subscriber.viewer] {
                sight = known
            } else {
                sight = await decide(change.operation, sights, viewer: subscriber.viewer)
                decided[subscriber.viewer] = sight
            }
            guard sight.row else { continue }
            groups[DeliveryKey(topic: subscriber.topic, ids: Self.ids(of: matched), wholeOld: sight.old,
                               select: Self.selection(of: matched)), default: []].insert(id)
        }
        let tableColumns = columns.withLockedValue { $0[change.table] } ?? []
        for (key, members) in groups {
            let old = rows.old.map { key.wholeOld ? $0 : ChangePayload.primaryKey(of: $0) }
            let payload = ChangePayload.make(ids: key.ids, change: change, columns: tableColumns, record: rows.new,
                                             oldRecord: old, select: key.select)
            hub.publishPush(topic: key.topic, event: ChangePayload.event, payload: payload,
                            audience: SubscriptionAudience(members: members))
        }
    }

    private struct DeliveryKey: Hashable {
        let topic: String
        let ids: [Int]
        let wholeOld: Bool
        let select: Set<String>?
    }

    /// The facts of the new and the old row, read once for every viewer.
    private func sights(of change: RowChange, rows: (new: JSONObject?, old: JSONObject?)) async
        -> (new: RowSight?, old: RowSight?) {
        var new: RowSight?, old: RowSight?
        if change.operation != .delete, let row = rows.new { new = await privacy.sight(of: row, table: change.table) }
        if change.operation != .insert, let row = rows.old { old = await privacy.sight(of: row, table: change.table) }
        return (new, old)
    }

    /// Whether the viewer may see the change at all (the new row; the old one for a DELETE) and the whole old
    /// row (else an UPDATE's old row goes as its primary key).
    private func decide(_ operation: ChangeOperation, _ sights: (new: RowSight?, old: RowSight?),
                        viewer: ViewerIdentity) async -> (row: Bool, old: Bool) {
        switch operation {
        case .insert:
            return (await sights.new?.visible(to: viewer) ?? false, false)
        case .delete:
            let seen = await sights.old?.visible(to: viewer) ?? false
            return (seen, seen)
        case .update:
            guard await sights.new?.visible(to: viewer) ?? false else { return (false, false) }
            return (true, await sights.old?.visible(to: viewer) ?? false)
        }
    }

    /// The bindings that want the change.
    static func matched(_ bindings: [ChangeBinding], change: RowChange, row: JSONObject) -> [ChangeBinding] {
        bindings.filter { $0.wants(change.operation, of: change.table, row: row) }
    }

    /// Their ids, in binding order, each once.
    static func ids(of bindings: [ChangeBinding]) -> [Int] {
        var ids: [Int] = []
        for binding in bindings where !ids.contains(binding.id) { ids.append(binding.id) }
        return ids
    }

    /// The columns to send: every one when a matched binding has no `select`, else all they select.
    static func selection(of bindings: [ChangeBinding]) -> Set<String>? {
        var columns: Set<String> = []
        for binding in bindings {
            guard let select = binding.select else { return nil }
            columns.formUnion(select)
        }
        return columns
    }

    /// The change's rows as JSON objects; a partial new row is read back (nil when it is gone by now).
    private func rows(of change: RowChange) async -> (new: JSONObject?, old: JSONObject?)? {
        let old = change.oldRecord.flatMap(Self.object)
        guard var new = change.record.flatMap(Self.object) else {
            return change.operation == .delete ? (nil, old) : nil
        }
        if change.partial, let table = ServedTable.all[change.table],
           let id = new["id"].flatMap(ValueKind.text(of:)) {
            do {
                guard let text = try await reader?.row(of: table, id: id), let whole = Self.object(text) else {
                    return nil
                }
                new = whole
            } catch {
                logger.warning("postgres_changes row unreadable", metadata: ["table": "\(change.table)"])
                return nil
            }
        }
        return (new, old)
    }

    private static func object(_ text: String) -> JSONObject? {
        (try? JSON(parsing: text))?.objectValue
    }

    private static func role(of identity: Identity) -> ViewerRole {
        switch identity.role {
        case .anon: return .anon
        case .authenticated: return .authenticated
        case .serviceRole: return .serviceRole
        }
    }
}

/// Exactly these subscriptions.
struct SubscriptionAudience: Audience {
    let members: Set<UInt64>

    func admits(_ subscription: ChannelSubscription) -> Bool { members.contains(subscription.id) }
}
