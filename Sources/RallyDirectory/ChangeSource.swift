/// Where a node learns that the directory changed: an ordered sequence of `DirectoryChange`s, with the moments it
/// starts and stops seeing every change. `PostgresChangeFeed` (LISTEN `rally_changes`, one per database) and
/// `InMemoryChangeSource` (the in-memory directory's `changes()`, or a stream a test feeds) are the two kinds;
/// `ChangePipeline` (RallyAccess) consumes them.
public protocol ChangeSource: Sendable {
    /// Delivers the source's changes to `handle`, one at a time and in order (the next is read once `handle`
    /// returned), until the source ends or the task is cancelled. `onListening` runs each time the source starts
    /// seeing every change; `onLost` each time it may have stopped (changes may be missed until the `.resync` the
    /// source delivers when it is back).
    func run(onListening: @Sendable () async -> Void, onLost: @Sendable () async -> Void,
             handle: @Sendable (DirectoryChange) async -> Void) async
}

extension ChangeSource {
    /// The source's changes as an `AsyncStream` (read by one consumer; the source runs until the stream is dropped).
    public func changes() -> AsyncStream<DirectoryChange> {
        let (stream, continuation) = AsyncStream.makeStream(of: DirectoryChange.self)
        let task = Task {
            await run(onListening: {}, onLost: {}, handle: { _ = continuation.yield($0) })
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}

extension PostgresChangeFeed: ChangeSource {}

/// Changes held in memory: the stream of `InMemoryDirectory.changes()`, or one a test writes to. It never loses
/// anything: it is listening from the start and never reports a loss.
public struct InMemoryChangeSource: ChangeSource {
    private let stream: AsyncStream<DirectoryChange>

    public init(_ stream: AsyncStream<DirectoryChange>) {
        self.stream = stream
    }

    /// Every change applied to `directory` from now on.
    public init(directory: InMemoryDirectory) async {
        self.init(await directory.changes())
    }

    /// A source fed by hand: what is yielded to the continuation is delivered in order.
    public static func makeSource() -> (source: InMemoryChangeSource, continuation: AsyncStream<DirectoryChange>.Continuation) {
        let (stream, continuation) = AsyncStream.makeStream(of: DirectoryChange.self)
        return (InMemoryChangeSource(stream), continuation)
    }

    public func run(onListening: @Sendable () async -> Void, onLost: @Sendable () async -> Void,
                    handle: @Sendable (DirectoryChange) async -> Void) async {
        await onListening()
        for await change in stream {
            await handle(change)
        }
    }
}
