import NIOCore
import RallyProtocol

/// What the channels of one event loop's sockets share instead of each holding a copy: topic names and join
/// configs. Touched only on `eventLoop`.
///
/// A joining client sends its topic's name and its config in every `phx_join`, decoded into values of their own: a
/// name longer than Swift's 15 inline bytes (`realtime:` and a subtopic of 7 bytes or more) is a heap allocation
/// (~65 bytes), and a config is 88 bytes in the channel's record, both kept for as long as the socket stays joined.
/// Looked up here first, the sockets of one topic hold one name, and the sockets that joined with the same settings
/// (most: a client library sends the same config every time) hold one config.
///
/// Only caches: a value they no longer hold is simply kept by its channels as it came. Each is bounded (two
/// generations, `SharingCache`), and holds only bounded values (names are at most `maxTopicBytes` long, checked
/// before the lookup; a config is shared only without `postgres_changes`, its one unbounded part), so clients
/// joining ever new topics or configs cannot grow them.
final class LoopSharing: @unchecked Sendable {
    static let topicNameCapacity = 4096
    static let joinConfigCapacity = 256

    let eventLoop: EventLoop
    private var topicNames = SharingCache<String, String>(capacity: LoopSharing.topicNameCapacity)
    private var joinConfigs = SharingCache<JoinConfig, SharedJoinConfig>(capacity: LoopSharing.joinConfigCapacity)

    init(eventLoop: EventLoop) { self.eventLoop = eventLoop }

    /// `name`, or the equal string this loop already holds (sharing its storage).
    func topicName(_ name: String) -> String {
        eventLoop.assertInEventLoop()
        return topicNames.shared(name) { $0 }
    }

    /// `config` as a channel keeps it: the loop's instance of an equal config when it has no `postgres_changes`.
    func joinConfig(_ config: JoinConfig) -> SharedJoinConfig {
        eventLoop.assertInEventLoop()
        guard config.postgresChanges.isEmpty else { return SharedJoinConfig(config) }
        return joinConfigs.shared(config, make: SharedJoinConfig.init)
    }

    /// How many names and configs are held now (tests).
    var counts: (topicNames: Int, joinConfigs: Int) { (topicNames.count, joinConfigs.count) }
}

/// A join's config as its channel keeps it: a reference to one instance per distinct config (`LoopSharing`).
final class SharedJoinConfig: Sendable {
    let value: JoinConfig
    init(_ value: JoinConfig) { self.value = value }
}

/// A bounded cache handing out one instance per equal key, made by the caller on a miss. Two generations of at most
/// `capacity / 2` entries each (as the token verifier's cache): a key used within the last half-capacity insertions
/// stays; older ones are dropped a generation at a time.
struct SharingCache<Key: Hashable, Value> {
    private let generationCapacity: Int
    private var current: [Key: Value] = [:]
    private var previous: [Key: Value] = [:]

    init(capacity: Int) { generationCapacity = max(capacity / 2, 1) }

    mutating func shared(_ key: Key, make: (Key) -> Value) -> Value {
        if let value = current[key] { return value }
        let value = previous[key] ?? make(key)
        if current.count >= generationCapacity {
            previous = current
            current = [:]
        }
        current[key] = value
        return value
    }

    var count: Int { current.count + previous.count }
}
