import NIOCore

/// What the node's topic table holds right now, for the admin dashboard: totals and the busiest topics.
public struct TopicSummary: Sendable, Equatable {
    /// One topic and how many local subscriptions and presence keys it has.
    public struct Entry: Sendable, Equatable {
        public let topic: String
        public let subscribers: Int
        public let presences: Int
    }

    /// Topics with at least one local subscriber.
    public var topics = 0
    /// Local subscriptions (joined channels) over every topic.
    public var subscriptions = 0
    /// The busiest topics by local subscribers, most first (ties by name), at most the limit asked for.
    public var busiest: [Entry] = []

    public init() {}

    /// Adds another shard's summary, keeping the `limit` busiest topics.
    mutating func merge(_ other: TopicSummary, limit: Int) {
        topics += other.topics
        subscriptions += other.subscriptions
        for entry in other.busiest { Self.insert(entry, into: &busiest, limit: limit) }
    }

    /// Inserts `entry` in order when it ranks among the `limit` first: O(limit) per topic, no sort of the table.
    static func insert(_ entry: Entry, into list: inout [Entry], limit: Int) {
        guard limit > 0 else { return }
        if list.count == limit, let last = list.last, !ranks(entry, before: last) { return }
        let index = list.firstIndex { ranks(entry, before: $0) } ?? list.endIndex
        list.insert(entry, at: index)
        if list.count > limit { list.removeLast() }
    }

    static func ranks(_ a: Entry, before b: Entry) -> Bool {
        a.subscribers != b.subscribers ? a.subscribers > b.subscribers : a.topic < b.topic
    }
}

extension Hub {
    /// Totals and the `limit` busiest topics. Each shard walks its own table on its own loop (no lock, no copy of
    /// the table); the answers are merged on the first loop. One pass over every topic: for occasional callers
    /// (the admin dashboard samples it at most twice a second), never on the message path.
    public func summary(top limit: Int) -> EventLoopFuture<TopicSummary> {
        let futures = shards.map { shard in
            let promise = shard.eventLoop.makePromise(of: TopicSummary.self)
            shard.run { promise.succeed(shard.summary(top: limit)) }
            return promise.futureResult
        }
        return EventLoopFuture.reduce(into: TopicSummary(), futures, on: loops[0]) { total, part in
            total.merge(part, limit: limit)
        }
    }
}

extension TopicShard {
    /// On `eventLoop`: this shard's totals and busiest topics.
    func summary(top limit: Int) -> TopicSummary {
        eventLoop.assertInEventLoop()
        var summary = TopicSummary()
        summary.topics = topicsByName.count
        for (topic, state) in topicsByName {
            summary.subscriptions += state.count
            guard limit > 0 else { continue }
            if summary.busiest.count == limit, let last = summary.busiest.last, state.count < last.subscribers {
                continue
            }
            TopicSummary.insert(.init(topic: topic, subscribers: state.count, presences: state.presence.entries.count),
                                into: &summary.busiest, limit: limit)
        }
        return summary
    }
}
