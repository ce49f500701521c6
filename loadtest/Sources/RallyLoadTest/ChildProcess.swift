import Foundation

/// A generator child process (this executable re-run with `--shard i --shards n`), seen from the parent.
/// `Process` is not marked Sendable; it is only started here and later polled (`isRunning`) and terminated.
final class ChildProcess: @unchecked Sendable {
    let shard: Int
    private let process: Process
    private let input: FileHandle
    private let mailbox: ShardMailbox

    /// Starts the child with the parent's own arguments plus the shard options.
    init(shard: Int, shards: Int, epoch: UInt64) throws {
        self.shard = shard
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = Array(CommandLine.arguments.dropFirst()) + [
            "--shard", String(shard), "--shards", String(shards), "--epoch-ns", String(epoch), "--quiet",
        ]
        let stdinPipe = Pipe()
        let stdoutPipe = Pipe()
        process.standardInput = stdinPipe
        process.standardOutput = stdoutPipe
        try process.run()
        self.process = process
        self.input = stdinPipe.fileHandleForWriting
        self.mailbox = ShardMailbox(reading: stdoutPipe.fileHandleForReading)
    }

    func send(_ message: ShardMessage) {
        guard let line = try? Console.jsonLine(message) else { return }
        input.write(Data((line + "\n").utf8))
    }

    /// The next message of `kind` (or a failure report); nil at `deadline` or when the child's output ended.
    func next(_ kind: ShardMessage.Kind, deadline: UInt64) async -> ShardMessage? {
        await mailbox.next(kind, deadline: deadline)
    }

    /// The child's latest progress report.
    var lowest: Int { mailbox.lowest.current }

    func waitForExit(timeout: Double) async {
        let deadline = MonotonicClock.now() + UInt64(timeout * 1e9)
        while process.isRunning, MonotonicClock.now() < deadline {
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
        if process.isRunning { process.terminate() }
        try? input.close()
    }
}
