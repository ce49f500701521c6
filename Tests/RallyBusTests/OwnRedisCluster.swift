import Foundation

/// A throw-away Redis Cluster for tests that change it (the shared one must stay as it is): `redis-server`
/// processes on free loopback ports formed with `redis-cli --cluster`: 3 primaries, and with `replica` a replica
/// of the first (index 3). A 1 s node timeout, so that a crashed primary fails over within seconds.
final class OwnRedisCluster {
    let ports: [Int]
    private let processes: [Process]
    private let directory: URL

    static func launch(replica: Bool) throws -> OwnRedisCluster {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rally-failover-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let ports = try (0..<(replica ? 4 : 3)).map { _ in try freePort() }
        let processes = try ports.map { port in
            try spawn("redis-server", ["--port", "\(port)", "--bind", "127.0.0.1", "--cluster-enabled", "yes",
                                     "--cluster-config-file", "nodes-\(port).conf", "--cluster-node-timeout", "1000",
                                     "--save", "", "--appendonly", "no", "--dir", directory.path,
                                     "--logfile", "\(port).log"])
        }
        let cluster = OwnRedisCluster(ports: ports, processes: processes, directory: directory)
        do {
            try cluster.form()
        } catch {
            cluster.stop()
            throw error
        }
        return cluster
    }

    private init(ports: [Int], processes: [Process], directory: URL) {
        self.ports = ports
        self.processes = processes
        self.directory = directory
    }

    private func form() throws {
        for port in ports { try Self.waitUntil { Self.cli(port, "PING") == "PONG" } }
        _ = try Self.run("redis-cli", ["--cluster", "create"] + ports.prefix(3).map { "127.0.0.1:\($0)" }
                         + ["--cluster-yes"])
        for port in ports.prefix(3) { try Self.waitUntil { Self.cli(port, "CLUSTER", "INFO").contains("state:ok") } }
        guard ports.count > 3 else { return }
        let primary = Self.cli(ports[0], "CLUSTER", "MYID")
        _ = try Self.run("redis-cli", ["--cluster", "add-node", "127.0.0.1:\(ports[3])", "127.0.0.1:\(ports[0])",
                                       "--cluster-slave", "--cluster-master-id", primary])
        try Self.waitUntil { Self.cli(self.ports[3], "INFO", "replication").contains("master_link_status:up") }
    }

    /// SIGKILL of node `index`.
    func crash(_ index: Int) {
        kill(processes[index].processIdentifier, SIGKILL)
        processes[index].waitUntilExit()
    }

    /// SIGKILL of every node: started from a concurrency thread, the servers inherit its blocked SIGTERM.
    func stop() {
        for index in processes.indices where processes[index].isRunning { crash(index) }
        try? FileManager.default.removeItem(at: directory)
    }

    static func cli(_ port: Int, _ arguments: String...) -> String {
        let output = (try? run("redis-cli", ["-p", "\(port)"] + arguments)) ?? ""
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Starts a program found on PATH; `output` receives its standard output.
    static func spawn(_ program: String, _ arguments: [String], output: Pipe? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        process.standardOutput = output ?? FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Runs a program found on PATH to its end; returns its standard output.
    @discardableResult
    static func run(_ program: String, _ arguments: [String]) throws -> String {
        let pipe = Pipe()
        let process = try spawn(program, arguments, output: pipe)
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    static func waitUntil(timeout: TimeInterval = 20, _ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            guard Date() < deadline else { throw CancellationError() }
            usleep(20_000)
        }
    }

    /// A port whose cluster bus port (+10000) is free too.
    static func freePort() throws -> Int {
        for _ in 0..<100 {
            let port = Int.random(in: 20_000...45_000)
            if [port, port + 10_000].allSatisfy(isFree) { return port }
        }
        throw CancellationError()
    }

    private static func isFree(_ port: Int) -> Bool {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
