import NIOCore

/// One copy of each topic name per event loop, shared by the channels of that loop's sockets.
///
/// A joining client sends its topic's name in every `phx_join`, decoded into a string of its own; a name longer than
/// Swift's 15 inline bytes (`realtime:` and any subtopic of 7 bytes or more) is a heap allocation (~65 bytes) that
/// the channel's registry record and its subscription would keep for as long as the socket stays joined. Looking the
/// name up here first makes every socket of the loop on that topic hold the same storage.
///
/// Only a cache: a name it no longer holds is simply kept by its channels as it came. It is bounded like the token
/// cache (two generations of at most `capacity / 2` names each; names are bounded by `maxTopicBytes`), so clients
/// joining ever new topics cannot grow it. Touched only on `eventLoop`.
final class TopicNames: @unchecked Sendable {
    static let defaultCapacity = 4096

    let eventLoop: EventLoop
    private let generationCapacity: Int
    private var current: Set<String> = []
    private var previous: Set<String> = []

    init(eventLoop: EventLoop, capacity: Int = TopicNames.defaultCapacity) {
        self.eventLoop = eventLoop
        self.generationCapacity = max(capacity / 2, 1)
    }

    /// `name`, or the equal string this loop already holds (sharing its storage).
    func shared(_ name: String) -> String {
        eventLoop.assertInEventLoop()
        if let index = current.firstIndex(of: name) { return current[index] }
        let known = previous.firstIndex(of: name).map { previous[$0] } ?? name
        if current.count >= generationCapacity {
            previous = current
            current = []
        }
        current.insert(known)
        return known
    }

    /// How many names are held now (tests).
    var count: Int { current.count + previous.count }
}
