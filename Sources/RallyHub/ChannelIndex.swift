import NIOConcurrencyHelpers
import NIOCore

/// Which open channels a change may concern, by what it names: the channels held by one of `subjects` (the token
/// `sub`, compared in lower case), the channels on one of `subtopics`, and every channel whose subtopic is of one
/// of `kinds` (the part before the first `:`). Channels still being authorized are always included (their user is
/// not known yet). `everyChannel` asks for all of them.
///
/// A scope only narrows the candidates: the caller's exact predicate (`RevocationScope.affects`) still decides
/// each channel, so a scope must select at least every channel that predicate can select.
public struct ChannelScope: Sendable, Hashable {
    public var everyChannel: Bool
    public var subjects: Set<String>
    public var subtopics: Set<String>
    public var kinds: Set<String>

    public init(subjects: Set<String> = [], subtopics: Set<String> = [], kinds: Set<String> = []) {
        self.everyChannel = false
        self.subjects = Set(subjects.map { $0.lowercased() })
        self.subtopics = subtopics
        self.kinds = kinds
    }

    public static var every: ChannelScope {
        var scope = ChannelScope()
        scope.everyChannel = true
        return scope
    }
}

/// The node's open channels filed by holder subject, subtopic and kind, one table per event loop (each touched only
/// on its loop, like `ConnectionTracker`'s): a change is checked against the sockets it can concern instead of
/// every socket of the node. A socket is re-filed when its registry's `indexVersion` moves (join begun or
/// completed, channel gone, new credentials); a socket with several channels under one key is counted once per
/// channel and listed once.
final class ChannelIndex: Sendable {
    enum Key: Hashable {
        case subject(String)
        case subtopic(String)
        case kind(String)
    }

    /// What one socket is filed under: a key per joined channel (repeats allowed) and how many of its channels
    /// are still joining.
    struct Filing: Equatable {
        var keys: [Key] = []
        var joining = 0
    }

    /// The sockets filed under one key, each once: the channels beyond a socket's first under the key (several
    /// channels of one socket on one subject) are counted apart, so the usual entry is a socket's reference alone
    /// (16 bytes a slot instead of 24 with a count beside it).
    struct Holders {
        private(set) var sockets: [ObjectIdentifier: ClientConnection] = [:]
        private var extra: [ObjectIdentifier: Int] = [:]

        var isEmpty: Bool { sockets.isEmpty }

        mutating func add(_ connection: ClientConnection, count: Int) {
            let id = ObjectIdentifier(connection)
            let added = sockets.updateValue(connection, forKey: id) == nil ? count - 1 : count
            if added > 0 { extra[id, default: 0] += added }
        }

        /// One of the socket's filings under the key gone; the socket goes with its last.
        mutating func removeOne(_ id: ObjectIdentifier) {
            guard let more = extra[id] else {
                sockets[id] = nil
                return
            }
            extra[id] = more > 1 ? more - 1 : nil
        }

        mutating func removeAll(_ id: ObjectIdentifier) {
            sockets[id] = nil
            extra[id] = nil
        }
    }

    final class Table: @unchecked Sendable {
        let eventLoop: EventLoop
        var byKey: [Key: Holders] = [:]
        var joining = Holders()

        init(eventLoop: EventLoop) { self.eventLoop = eventLoop }

        func file(_ connection: ClientConnection, from old: Filing, to new: Filing) {
            eventLoop.assertInEventLoop()
            let id = ObjectIdentifier(connection)
            for key in old.keys {
                byKey[key]?.removeOne(id)
                if byKey[key]?.isEmpty == true { byKey[key] = nil }
            }
            for key in new.keys { byKey[key, default: Holders()].add(connection, count: 1) }
            if old.joining > 0 { joining.removeAll(id) }
            if new.joining > 0 { joining.add(connection, count: new.joining) }
        }

        /// The sockets holding a channel `scope` selects (not for `everyChannel`), each once.
        func candidates(_ scope: ChannelScope) -> [ClientConnection] {
            eventLoop.assertInEventLoop()
            var seen = Set<ObjectIdentifier>()
            var found: [ClientConnection] = []
            func add(_ holders: Holders?) {
                guard let holders else { return }
                for (id, connection) in holders.sockets where seen.insert(id).inserted { found.append(connection) }
            }
            add(joining)
            for subject in scope.subjects { add(byKey[.subject(subject)]) }
            for subtopic in scope.subtopics { add(byKey[.subtopic(subtopic)]) }
            for kind in scope.kinds { add(byKey[.kind(kind)]) }
            return found
        }
    }

    let tables: [Table]

    init(loops: [EventLoop]) {
        tables = loops.map(Table.init)
    }

    /// Runs `body` on each loop for the sockets there holding a channel `scope` selects; completes when every
    /// returned future has.
    func forEachCandidate(_ scope: ChannelScope, on loop: EventLoop,
                          _ body: @escaping @Sendable (ClientConnection) -> EventLoopFuture<Void>) -> EventLoopFuture<Void> {
        let perLoop = tables.map { table in
            table.eventLoop.flatSubmit {
                let candidates = table.candidates(scope)
                guard !candidates.isEmpty else { return table.eventLoop.makeSucceededVoidFuture() }
                return EventLoopFuture.andAllComplete(candidates.map(body), on: table.eventLoop)
            }
        }
        return EventLoopFuture.andAllComplete(perLoop, on: loop)
    }
}

extension ChannelRegistry {
    /// What the socket's channels are filed under in `ChannelIndex`.
    var filing: ChannelIndex.Filing {
        var filing = ChannelIndex.Filing()
        for channel in channels {
            guard channel.phase == .joined else {
                filing.joining += 1
                continue
            }
            let subtopic = channel.subtopic
            filing.keys.append(.subtopic(subtopic))
            if let colon = subtopic.firstIndex(of: ":") { filing.keys.append(.kind(String(subtopic[..<colon]))) }
            if let subject = channel.identity?.subject, !subject.isEmpty {
                filing.keys.append(.subject(Self.lowercased(subject)))
            }
        }
        return filing
    }

    /// `text` in lower case, sharing its storage when it already is (a uuid `sub`): no copy kept per socket.
    private static func lowercased(_ text: String) -> String {
        text.utf8.allSatisfy({ $0 < 0x80 && !(UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }) ? text : text.lowercased()
    }
}

extension ClientConnection {
    /// Re-files this socket in the loop's `ChannelIndex` (after its registry's `indexVersion` moved). A socket
    /// that is not attached (or no longer) is filed under nothing.
    func refileChannels() {
        let filing = transport == nil ? ChannelIndex.Filing() : registry.filing
        indexedVersion = registry.indexVersion
        guard filing != indexedFiling else { return }
        services.connections.index.tables[loopIndex].file(self, from: indexedFiling, to: filing)
        indexedFiling = filing
    }

    /// The topics of this socket's channels `affects` selects (as `revalidateChannels` picks them), for tests
    /// comparing the index with a scan.
    func topicsConcerned(where affects: (RevalidationCandidate) -> Bool) -> [String] {
        registry.channels.filter { channel in
            affects(RevalidationCandidate(channel, subject: channel.phase == .joining ? nil : Self.knownSubject(channel)))
        }.map(\.topic)
    }

    /// The subject a joined channel's user is known by: its token's `sub`, or "" (nobody's id) when the token has
    /// none (anon, service keys), so that such a channel is not taken for one whose user is unknown.
    static func knownSubject(_ channel: ChannelRegistry.Channel) -> String? {
        guard let identity = channel.identity else { return nil }
        return identity.subject ?? ""
    }
}

extension HubServices {
    /// As `revalidate(where:)`, but only on the sockets holding a channel `scope` selects (`ChannelIndex`): the
    /// cost follows what the change can concern, not how many channels the node has open.
    public func revalidate(scope: ChannelScope,
                           matching affects: @escaping @Sendable (RevalidationCandidate) -> Bool)
        -> EventLoopFuture<Void> {
        guard !scope.everyChannel else { return revalidate(matching: affects) }
        return connections.index.forEachCandidate(scope, on: hub.loops[0]) { connection in
            connection.revalidateChannels(where: affects)
        }
    }

    /// As `revalidate(scope:matching:)`, asking about each channel's subtopic text and token subject.
    public func revalidate(scope: ChannelScope,
                           where affects: @escaping @Sendable (String, String?) -> Bool) -> EventLoopFuture<Void> {
        revalidate(scope: scope, matching: { affects($0.subtopic, $0.subject) })
    }

    /// The channels (`socket/topic`) a re-check over `scope` would decide again, found through the index, and
    /// the same found by asking every socket (tests).
    func channelsConcerned(scope: ChannelScope?,
                           where affects: @escaping @Sendable (String, String?) -> Bool) -> EventLoopFuture<Set<String>> {
        channelsConcerned(scope: scope, matching: { affects($0.subtopic, $0.subject) })
    }

    func channelsConcerned(scope: ChannelScope?, matching affects: @escaping @Sendable (RevalidationCandidate) -> Bool)
        -> EventLoopFuture<Set<String>> {
        let found = NIOLockedValueBox<Set<String>>([])
        let body: @Sendable (ClientConnection) -> EventLoopFuture<Void> = { connection in
            let id = ObjectIdentifier(connection).debugDescription
            let topics = connection.topicsConcerned(where: affects).map { "\(id)/\($0)" }
            found.withLockedValue { $0.formUnion(topics) }
            return connection.eventLoop.makeSucceededVoidFuture()
        }
        let done = scope.flatMap { $0.everyChannel ? nil : connections.index.forEachCandidate($0, on: hub.loops[0], body) }
            ?? connections.forEachConnection(on: hub.loops[0], body)
        return done.map { found.withLockedValue { $0 } }
    }
}
