import Foundation

/// CPU time used by the server's process tree and by the generator's (this process and its child generator
/// processes), read from /proc: on a machine where both share the cores, every throughput figure comes with the
/// share of CPU each side had.
struct CPUSample: Sendable {
    var server: Double?
    var generator: Double?
    var at: UInt64

    static func take(serverPid: Int32?) -> CPUSample {
        take(serverPids: serverPid.map { [$0] } ?? [])
    }

    /// The servers' CPU is the sum over the trees of `serverPids` (several nodes); nil when one cannot be read.
    static func take(serverPids: [Int32]) -> CPUSample {
        let trees = serverPids.map { ProcessCPU.treeSeconds(pid: $0) }
        let server: Double? = trees.isEmpty || trees.contains(where: { $0 == nil }) ? nil : trees.compactMap { $0 }.reduce(0, +)
        return CPUSample(server: server, generator: ProcessCPU.treeSeconds(pid: getpid()), at: MonotonicClock.now())
    }

    /// The CPU section of a report: seconds used between the samples, as cores (seconds per wall second), and,
    /// given the deliveries made meanwhile, microseconds per delivery on each side.
    static func report(from start: CPUSample, to end: CPUSample, deliveries: Int = 0) -> RunReport.CPU {
        let wall = Double(end.at &- start.at) / 1e9
        func used(_ before: Double?, _ after: Double?) -> Double? {
            guard let before, let after else { return nil }
            return ((after - before) * 100).rounded() / 100
        }
        let server = used(start.server, end.server)
        let generator = used(start.generator, end.generator)
        func cores(_ seconds: Double?) -> Double? {
            guard let seconds, wall > 0 else { return nil }
            return (seconds / wall * 100).rounded() / 100
        }
        func perDelivery(_ seconds: Double?) -> Double? {
            guard let seconds, deliveries > 0 else { return nil }
            return (seconds / Double(deliveries) * 1e6 * 100).rounded() / 100
        }
        return RunReport.CPU(wallSeconds: (wall * 100).rounded() / 100, serverSeconds: server,
                             serverCores: cores(server), generatorSeconds: generator, generatorCores: cores(generator),
                             serverMicrosecondsPerDelivery: perDelivery(server),
                             generatorMicrosecondsPerDelivery: perDelivery(generator))
    }
}

/// CPU of a process tree: utime + stime of every live process in it (all threads; e.g. nginx's workers), plus
/// cutime + cstime (children that exited and were waited for, such as generator processes that finished).
enum ProcessCPU {
    static func treeSeconds(pid: Int32) -> Double? {
        guard let own = ticks(pid: pid) else { return nil }
        let total = ProcessMemory.descendants(of: pid).reduce(own) { $0 + (ticks(pid: $1) ?? 0) }
        return Double(total) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Fields 14–17 of /proc/<pid>/stat, counted after the parenthesised command name (which may hold spaces).
    static func ticks(pid: Int32) -> Int? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 14 else { return nil }
        let times = fields[11...14].compactMap { Int($0) }
        return times.count == 4 ? times.reduce(0, +) : nil
    }
}
