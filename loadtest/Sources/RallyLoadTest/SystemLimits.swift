import Foundation

/// The process limits a run depends on.
enum SystemLimits {
    /// File descriptors a process needs besides its sockets (event loops, pipes, stdio, /proc reads).
    static let reservedDescriptors = 64

    /// Raises the soft RLIMIT_NOFILE to the hard limit and returns the new soft limit.
    @discardableResult
    static func raiseOpenFileLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            _ = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        return limit.rlim_cur > UInt64(Int.max) ? Int.max : Int(limit.rlim_cur)
    }

    /// Sockets one process may open after reserving descriptors for itself.
    static func socketBudget() -> Int {
        raiseOpenFileLimit() - reservedDescriptors
    }

    /// Fails early, with advice, when one process would need more sockets than it may open.
    static func checkSocketBudget(needed: Int, processes: Int) throws {
        let budget = socketBudget()
        guard needed <= budget else {
            let suggestion = (needed * processes + budget - 1) / budget
            throw LoadTestError(
                "one generator process would need \(needed) sockets but may open \(budget) (RLIMIT_NOFILE); "
                    + "use --processes \(max(suggestion, processes + 1)) or more")
        }
    }

    /// net.ipv4.ip_local_port_range as (low, high), when readable.
    static func ephemeralPortRange() -> (Int, Int)? {
        guard let text = try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8) else {
            return nil
        }
        let numbers = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { Int($0) }
        return numbers.count == 2 ? (numbers[0], numbers[1]) : nil
    }

    /// Fails when the loopback source addresses cannot offer enough ephemeral ports.
    static func checkPorts(connections: Int, sourceAddresses: Int) throws {
        guard let (low, high) = ephemeralPortRange() else { return }
        let capacity = (high - low + 1) * sourceAddresses
        guard connections <= capacity else {
            throw LoadTestError(
                "\(connections) connections need more than the \(capacity) ports of \(sourceAddresses) source "
                    + "address(es) (ip_local_port_range \(low)-\(high)); raise --source-addresses")
        }
    }
}
