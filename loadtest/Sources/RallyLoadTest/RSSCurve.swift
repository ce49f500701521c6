import Foundation

/// The server's RSS over a run, sampled on a thread of its own every `interval` seconds (so a busy event loop or a
/// stalled task cannot skip samples), with named marks for the phases of the run.
final class RSSCurve: @unchecked Sendable {
    struct Sample: Codable, Sendable {
        var seconds: Double
        /// VmRSS: anonymous memory (the heap) plus the file pages mapped in (code) and shared memory.
        var bytes: Int
        /// RssAnon: the anonymous part alone, which is where the allocator's arenas live.
        var anonBytes: Int?
    }

    struct Mark: Codable, Sendable {
        var name: String
        var seconds: Double
        var bytes: Int?
        var anonBytes: Int?
    }

    let pid: Int32?
    let interval: Double
    private let started = MonotonicClock.now()
    private let state = Locked<(samples: [Sample], marks: [Mark], stopped: Bool)>(([], [], false))
    /// At most this many samples are kept (an hour at 1 s); the sampler stops after it.
    static let maxSamples = 3_600

    init(pid: Int32?, interval: Double) {
        self.pid = pid
        self.interval = max(0.1, interval)
    }

    /// Starts sampling (nothing happens without a pid).
    func start() {
        guard let pid else { return }
        let thread = Thread { [self] in
            while true {
                let done = state.withValue { $0.stopped || $0.samples.count >= Self.maxSamples }
                if done { return }
                let reading = Self.read(pid: pid)
                if let bytes = reading.rss {
                    let sample = Sample(seconds: elapsed, bytes: bytes, anonBytes: reading.anon)
                    state.withValue { $0.samples.append(sample) }
                }
                Thread.sleep(forTimeInterval: interval)
            }
        }
        thread.start()
    }

    func stop() {
        state.withValue { $0.stopped = true }
    }

    /// Takes a reading now and records it under `name` (marks are kept apart from the evenly spaced samples).
    @discardableResult
    func mark(_ name: String) -> Mark {
        let reading = pid.map { Self.read(pid: $0) }
        let mark = Mark(name: name, seconds: elapsed, bytes: reading?.rss, anonBytes: reading?.anon)
        state.withValue { $0.marks.append(mark) }
        return mark
    }

    var samples: [Sample] { state.current.samples }
    var marks: [Mark] { state.current.marks }

    /// The largest reading (samples and marks) from `start` to `end` seconds, with its time.
    func peak(from start: Double = 0, to end: Double = .infinity) -> Sample? {
        let readings = samples + marks.compactMap { mark in
            mark.bytes.map { Sample(seconds: mark.seconds, bytes: $0, anonBytes: mark.anonBytes) }
        }
        return readings.filter { $0.seconds >= start && $0.seconds <= end }.max { $0.bytes < $1.bytes }
    }

    private var elapsed: Double { MonotonicClock.seconds(since: started) }

    /// VmRSS and RssAnon of `pid` and its descendants, in bytes.
    static func read(pid: Int32) -> (rss: Int?, anon: Int?) {
        func fields(_ pid: Int32) -> (Int, Int)? {
            guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
            var rss: Int?
            var anon = 0
            for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") || line.hasPrefix("RssAnon:") {
                let parts = line.split(separator: " ", omittingEmptySubsequences: true)
                guard parts.count >= 2, let kib = Int(parts[1]) else { continue }
                if line.hasPrefix("VmRSS:") { rss = kib * 1024 } else { anon = kib * 1024 }
            }
            return rss.map { ($0, anon) }
        }
        guard let own = fields(pid) else { return (nil, nil) }
        let total = ProcessMemory.descendants(of: pid).compactMap(fields).reduce(own) { ($0.0 + $1.0, $0.1 + $1.1) }
        return (total.0, total.1)
    }
}
