/// Server and kernel memory at one moment.
struct MemorySample: Sendable {
    var serverPid: Int32?
    var serverRSS: Int?
    var kernelTCP: Int?

    static func take(serverPid: Int32?) -> MemorySample {
        MemorySample(
            serverPid: serverPid, serverRSS: serverPid.flatMap { ProcessMemory.treeRSS(pid: $0) },
            kernelTCP: ProcessMemory.kernelTCPBytes())
    }

    /// Memory section of the report; the per-connection figure is the RSS growth over `connections`.
    static func report(before: MemorySample, after: MemorySample, connections: Int) -> RunReport.Memory {
        var perConnection: Double? = nil
        if let start = before.serverRSS, let end = after.serverRSS, connections > 0 {
            perConnection = (Double(end - start) / Double(connections) * 10).rounded() / 10
        }
        return RunReport.Memory(
            serverPid: before.serverPid, serverRSSBefore: before.serverRSS, serverRSSAfter: after.serverRSS,
            serverBytesPerConnection: perConnection, kernelTCPBytesBefore: before.kernelTCP,
            kernelTCPBytesAfter: after.kernelTCP, generatorRSS: ProcessMemory.selfRSS())
    }
}
