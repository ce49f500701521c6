import NIOCore
import RallyProtocol

/// What `postgres_changes` channels are told besides rows (never silence): Supabase's `system` messages of
/// extension `postgres_changes` — an error when rows were dropped, and `Subscribed to PostgreSQL` again once the
/// change feed is back after a loss.
extension PostgresChangesFeed {
    /// The channels that wanted a dropped row are told, at most once a second (never silence): Supabase's
    /// `system` error of `postgres_changes`, which leaves the channel open.
    func tellDropped(_ table: String) {
        let now = NIODeadline.now()
        let due = lastDropNotice.withLockedValue { last -> Bool in
            guard last.map({ now - $0 >= .seconds(1) }) ?? true else { return false }
            last = now
            return true
        }
        guard due else { return }
        tell(ok: false, "RowsDropped: too many changes at once, rows of \(table) were not delivered", about: table)
    }

    /// The change feed is back and sees every row again; rows committed while it was down were not seen, so this
    /// second `Subscribed to PostgreSQL` tells the channel to read again what it shows. (No error is sent when it
    /// is lost: realtime-py answers a `system` error by joining again without leaving, and the `phx_close` of the
    /// old join, as Phoenix sends it, leaves its channel closed.)
    func resumed() {
        tell(ok: true, "Subscribed to PostgreSQL")
    }

    /// A `system` message of extension `postgres_changes` to every channel here that asked for `table` (any).
    private func tell(ok: Bool, _ message: String, about table: String? = nil) {
        let byTopic = subscribers.withLockedValue { all in
            Dictionary(grouping: all.filter { table.map($0.value.tables.contains) ?? true }, by: \.value.topic)
        }
        for (topic, members) in byTopic {
            hub.publishPush(topic: topic, event: "system",
                            payload: Replies.system(ok: ok, message: message,
                                                    channel: String(topic.dropFirst("realtime:".count)),
                                                    extension: "postgres_changes"),
                            audience: SubscriptionAudience(members: Set(members.map(\.key))))
        }
    }
}
