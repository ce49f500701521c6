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
/// every socket of the node. Each channel is filed and unfiled at its own transitions (`ChannelRegistry`'s
/// `indexChanges`: join begun, authorized or completed, channel gone), its keys derived from the channel record
/// both times, so a socket keeps no copy of what it is filed under; a socket with several channels under one key
/// is counted once per channel and listed once.
final class ChannelIndex: Sendable {
    enum Key: Hashable {
        case subject(String)
        case subtopic(String)
        case kind(String)
    }

    /// What one channel is filed under: the joining channels, or the keys of a joined one (its subtopic, the
    /// subtopic's kind, its holder's lower-cased subject).
    enum Filing: Equatable {
        case joining
        case joined([Key])
    }

    /// The sockets filed under one key, each once: the channels beyond a socket's first under the key (several
    /// channels of one socket on one subject) are counted apart, so the usual entry is a socket's reference alone
    /// (16 bytes a slot instead of 24 with a count beside it).
    struct Holders {
        private(set) var sockets: [ObjectIdentifier: ClientConnection] = [:]
        private var extra: [ObjectIdentifier: Int] = [:]

        var isEmpty: Bool { sockets.isEmpty }

        /// How many of the socket's filings are under the key (tests).
        func count(of id: ObjectIdentifier) -> Int { sockets[id] == nil ? 0 : 1 + (extra[id] ?? 0) }

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
    }

    final class Table: @unchecked Sendable {
        let eventLoop: EventLoop
        var byKey: [Key: Holders] = [:]
        var joining = Holders()

        init(eventLoop: EventLoop) { self.eventLoop = eventLoop }

        /// Moves one channel of `connection` from the filing `old` to `new` (nil: not filed).
        func file(_ connection: ClientConnection, from old: Filing?, to new: Filing?) {
            eventLoop.assertInEventLoop()
            let id = ObjectIdentifier(connection)
            switch old {
            case .joining: joining.removeOne(id)
            case .joined(let keys):
                for key in keys {
                    byKey[key]?.removeOne(id)
                    if byKey[key]?.isEmpty == true { byKey[key] = nil }
                }
            case nil: break
            }
            switch new {
            case .joining: joining.add(connection, count: 1)
            case .joined(let keys): for key in keys { byKey[key, default: Holders()].add(connection, count: 1) }
            case nil: break
            }
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

extension ChannelRegistry.Channel {
    /// What this channel is filed under in `ChannelIndex`.
    var filing: ChannelIndex.Filing { filing(joined: phase == .joined) }

    /// What this channel is filed under when `joined` (or not): derived from fields that do not change while it
    /// is joined (a token for another subject closes the channel).
    func filing(joined: Bool) -> ChannelIndex.Filing {
        guard joined else { return .joining }
        let subtopic = subtopic
        var keys: [ChannelIndex.Key] = [.subtopic(subtopic)]
        if let colon = subtopic.firstIndex(of: ":") { keys.append(.kind(String(subtopic[..<colon]))) }
        if let subject = identity?.subject, !subject.isEmpty { keys.append(.subject(Self.lowercased(subject))) }
        return .joined(keys)
    }

    /// `text` in lower case, sharing its storage when it already is (a uuid `sub`).
    private static func lowercased(_ text: String) -> String {
        text.utf8.allSatisfy({ $0 < 0x80 && !(UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }) ? text : text.lowercased()
    }
}

extension ClientConnection {
    /// Files in the loop's `ChannelIndex` what the registry's last change did to its channels. A socket that is
    /// not attached (or no longer) is filed under nothing: `attach` files the channels it has then.
    func fileIndexChanges() {
        let changes = registry.takeIndexChanges()
        guard transport != nil else { return }
        let table = services.connections.index.tables[loopIndex]
        for change in changes { table.file(self, from: change.from, to: change.to) }
    }

    /// Files every channel of the registry (when the socket is attached: normally none yet).
    func fileAllChannels() {
        let table = services.connections.index.tables[loopIndex]
        for channel in registry.channels { table.file(self, from: nil, to: channel.filing) }
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
