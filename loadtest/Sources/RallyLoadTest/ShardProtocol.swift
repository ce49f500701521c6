import Foundation

/// One line of the parent ↔ child protocol (JSON, one object per line). Children write theirs on
/// stdout; the parent writes commands to the child's stdin.
struct ShardMessage: Codable, Sendable {
    enum Kind: String, Codable, Sendable {
        // child → parent
        case ready, progress, result, failure
        // parent → child
        case start, finish
    }

    var kind: Kind
    var connections: ConnectionStats?
    var deliveries: DeliveryStats?
    /// progress: lowest sequence number every subscriber of the child has reached.
    var lowest: Int?
    /// finish: messages the parent published.
    var published: Int?
    /// result: messages the child sent (chat) and connections that dropped during the run.
    var sent: Int?
    var disconnected: Int?
    /// result: the child's own RSS, bytes.
    var generatorRSS: Int?
    var error: String?

    init(kind: Kind) {
        self.kind = kind
    }
}

/// Splits a byte stream into lines (for pipes between the processes).
struct LineSplitter {
    private var pending = Data()

    mutating func feed(_ data: Data) -> [String] {
        pending.append(data)
        var lines: [String] = []
        while let newline = pending.firstIndex(of: 0x0A) {
            lines.append(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
            pending.removeSubrange(pending.startIndex...newline)
        }
        return lines
    }
}

/// Reads a file handle line by line on a dedicated thread (blocking reads never occupy the
/// cooperative pool) and hands every decoded message to `deliver`; `ended` runs at end of file.
enum ShardLineReader {
    static func start(
        reading handle: FileHandle, deliver: @escaping @Sendable (ShardMessage) -> Void,
        ended: @escaping @Sendable () -> Void
    ) {
        let thread = Thread {
            var splitter = LineSplitter()
            let decoder = JSONDecoder()
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                for line in splitter.feed(data) where !line.isEmpty {
                    if let message = try? decoder.decode(ShardMessage.self, from: Data(line.utf8)) { deliver(message) }
                }
            }
            ended()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
}

/// Messages received from a pipe, waited for by kind with a deadline (polled: they are rare).
final class ShardMailbox: Sendable {
    private let state = Locked<(messages: [ShardMessage], ended: Bool)>(([], false))
    /// The latest progress report (progress messages are not queued).
    let lowest = Locked(-1)

    init(reading handle: FileHandle) {
        ShardLineReader.start(
            reading: handle,
            deliver: { [state, lowest] message in
                if message.kind == .progress {
                    lowest.withValue { $0 = message.lowest ?? -1 }
                } else {
                    state.withValue { $0.messages.append(message) }
                }
            },
            ended: { [state] in state.withValue { $0.ended = true } })
    }

    /// The next message of `kind` (or a failure report); nil at `deadline` or when the pipe ended.
    func next(_ kind: ShardMessage.Kind, deadline: UInt64) async -> ShardMessage? {
        while MonotonicClock.now() < deadline {
            let (found, ended) = state.withValue { state -> (ShardMessage?, Bool) in
                guard let index = state.messages.firstIndex(where: { $0.kind == kind || $0.kind == .failure }) else {
                    return (nil, state.ended)
                }
                return (state.messages.remove(at: index), false)
            }
            if let found { return found }
            if ended { return nil }
            try? await Task.sleep(nanoseconds: 5_000_000)
        }
        return nil
    }
}

/// The child's end: commands from stdin, messages to stdout.
struct ShardLink: Sendable {
    let commands = ShardMailbox(reading: FileHandle.standardInput)

    func send(_ message: ShardMessage) {
        if let line = try? Console.jsonLine(message) { Console.out(line) }
    }

    /// Waits for the next command of `kind`; nil at `deadline` or when stdin closed (the parent is gone).
    func next(_ kind: ShardMessage.Kind, deadline: UInt64) async -> ShardMessage? {
        await commands.next(kind, deadline: deadline)
    }
}
