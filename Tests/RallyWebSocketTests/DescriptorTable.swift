#if canImport(Glibc)
import Foundation
import Glibc

/// This process's descriptor table, for the scenarios that fill it (run in a child process: see `ChildTest`).
enum DescriptorTable {
    /// Lowers the soft limit on open descriptors to `soft` (never raises it); returns the limits before.
    @discardableResult
    static func lowerLimit(to soft: rlim_t) throws -> rlimit {
        var saved = rlimit()
        getrlimit(Self.noFile, &saved)
        var lowered = saved
        lowered.rlim_cur = min(saved.rlim_cur, soft)
        guard setrlimit(Self.noFile, &lowered) == 0 else { throw POSIXError(.EPERM) }
        return saved
    }

    static func restoreLimit(_ saved: rlimit) {
        var saved = saved
        setrlimit(Self.noFile, &saved)
    }

    /// Duplicates stderr until no number below `number` is free, or none at all: the duplicates, to be closed.
    static func fill(below number: Int32 = .max) -> [Int32] {
        var taken: [Int32] = []
        while true {
            let fd = dup(STDERR_FILENO)
            guard fd >= 0 else { break }
            guard fd < number else {
                close(fd)
                break
            }
            taken.append(fd)
        }
        return taken
    }

    static func highestOpenDescriptor() -> Int {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return entries.compactMap { Int($0) }.max() ?? 1024
    }

    private static let noFile = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
}
#endif
