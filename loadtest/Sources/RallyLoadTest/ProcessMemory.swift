import Foundation

/// Resident memory of a process tree, read from /proc (Linux).
enum ProcessMemory {
    /// VmRSS of `pid` plus all its descendants (nginx's workers, for instance), in bytes.
    static func treeRSS(pid: Int32) -> Int? {
        guard let own = rss(pid: pid) else { return nil }
        return descendants(of: pid).reduce(own) { $0 + (rss(pid: $1) ?? 0) }
    }

    /// VmRSS of one process in bytes.
    static func rss(pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 2, let kib = Int(fields[1]) { return kib * 1024 }
        }
        return nil
    }

    /// This process's own RSS in bytes.
    static func selfRSS() -> Int {
        rss(pid: getpid()) ?? 0
    }

    /// Kernel memory charged to TCP sockets system-wide (/proc/net/sockstat "TCP: … mem N", pages).
    static func kernelTCPBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/net/sockstat", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("TCP:") {
            let fields = line.split(separator: " ")
            if let index = fields.firstIndex(of: "mem"), index + 1 < fields.count, let pages = Int(fields[index + 1]) {
                return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
            }
        }
        return nil
    }

    static func descendants(of pid: Int32) -> [Int32] {
        var found: [Int32] = []
        var queue = [pid]
        while let next = queue.popLast(), found.count < 10_000 {
            let children = directChildren(of: next)
            found.append(contentsOf: children)
            queue.append(contentsOf: children)
        }
        return found
    }

    private static func directChildren(of pid: Int32) -> [Int32] {
        let taskDirectory = "/proc/\(pid)/task"
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: taskDirectory)) ?? []
        return tasks.flatMap { task -> [Int32] in
            let text = (try? String(contentsOfFile: "\(taskDirectory)/\(task)/children", encoding: .utf8)) ?? ""
            return text.split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
    }
}
