import NIOConcurrencyHelpers
import NIOCore
import RallyHub

/// Counts sockets per client address and in total, to refuse upgrades past the configured limits. Touched once
/// at upgrade and once at close (never on the message path), so one lock is fine here.
final class ConnectionAdmission: SocketAdmission {
    enum Verdict: Equatable { case admitted, nodeFull, addressFull }

    private let maxTotal: Int
    private let maxPerAddress: Int
    private let state = NIOLockedValueBox(State())

    private struct State {
        var total = 0
        var perAddress: [String: Int] = [:]
    }

    init(maxTotal: Int, maxPerAddress: Int) {
        self.maxTotal = maxTotal
        self.maxPerAddress = maxPerAddress
    }

    /// Whether one more socket from `address` fits. Checked at upgrade; counted only once the socket is open
    /// (`add`), so an upgrade that never completes leaks nothing. Concurrent upgrades may overshoot by a few.
    func check(address: String) -> Verdict {
        state.withLockedValue { state in
            if state.total >= maxTotal { return .nodeFull }
            if state.perAddress[address, default: 0] >= maxPerAddress { return .addressFull }
            return .admitted
        }
    }

    func add(address: String) {
        state.withLockedValue { state in
            state.total += 1
            state.perAddress[address, default: 0] += 1
        }
    }

    func release(address: String) {
        state.withLockedValue { state in
            state.total -= 1
            let remaining = state.perAddress[address, default: 1] - 1
            state.perAddress[address] = remaining > 0 ? remaining : nil
        }
    }
}

extension ConnectionAdmission {
    func socketOpened(address: String) { add(address: address) }
    func socketClosed(address: String) { release(address: address) }
}
