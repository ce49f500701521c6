import Foundation
import NIOCore
import NIOPosix
import RallyTestSupport
import XCTest

@testable import RallyRedis

/// A throw-away Redis Cluster of `size` primaries on loopback, each a `redis-server` child process with its
/// state in a temporary folder; slots split evenly. `replicas` more nodes replicate primaries 0, 1, … (with a short
/// node timeout, so a killed primary fails over within seconds). Terminated by `stop()`.
final class TestRedisCluster {
    let ports: [Int]
    private let processes: [Process]
    private let directory: URL

    static func start(size: Int, replicas: Int = 0, group: EventLoopGroup) throws -> TestRedisCluster {
        _ = try TestRedis.url()  // same opt-out and message as the other tests that need Redis
        let server = try serverBinary()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rally-cluster-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var ports: [Int] = []
        var processes: [Process] = []
        let timeout = replicas > 0 ? ["--cluster-node-timeout", "1000"] : []
        for _ in 0..<(size + replicas) {
            let port = try freePort(group: group)
            let process = Process()
            process.executableURL = server
            process.arguments = ["--port", String(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
                                 "--cluster-config-file", directory.appendingPathComponent("nodes-\(port).conf").path,
                                 "--dir", directory.path, "--save", "", "--appendonly", "no",
                                 "--logfile", directory.appendingPathComponent("\(port).log").path] + timeout
            try process.run()
            ports.append(port)
            processes.append(process)
        }
        let cluster = TestRedisCluster(ports: ports, processes: processes, directory: directory)
        do {
            try cluster.form(primaries: size, group: group)
            try cluster.attachReplicas(primaries: size, group: group)
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

    func url(_ index: Int = 0) -> RedisURL { RedisURL(host: "127.0.0.1", port: ports[index]) }

    func stop() {
        for process in processes where process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Sends one command to node `index` on a fresh connection (fails at once if the node is not up).
    func command(_ index: Int, _ arguments: [String], group: EventLoopGroup) throws -> RESPValue {
        try RedisConnector.oneShot(configuration: RedisConfiguration(url: url(index)), on: group.next(), arguments)
            .wait(timeout: .seconds(10), arguments.joined(separator: " "))
    }

    func nodeID(_ index: Int, group: EventLoopGroup) throws -> String {
        try XCTUnwrap(command(index, ["CLUSTER", "MYID"], group: group).string)
    }

    /// Kills node `index` at once (SIGKILL, as a crash).
    func kill(_ index: Int) {
        Foundation.kill(processes[index].processIdentifier, SIGKILL)
        processes[index].waitUntilExit()
    }

    /// Assigns slot ranges, introduces the nodes, and waits until every node reports `cluster_state:ok`.
    private func form(primaries: Int, group: EventLoopGroup) throws {
        try waitUntil("redis-server processes accept connections") {
            (try? (0..<ports.count).map { try command($0, ["PING"], group: group) }) != nil
        }
        let share = RedisKeySlot.count / primaries
        for index in ports.indices {
            let end = index == primaries - 1 ? RedisKeySlot.count - 1 : (index + 1) * share - 1
            if index < primaries {
                _ = try command(index, ["CLUSTER", "ADDSLOTSRANGE", String(index * share), String(end)], group: group)
            }
            if index > 0 { _ = try command(index, ["CLUSTER", "MEET", "127.0.0.1", String(ports[0])], group: group) }
        }
        try waitUntil("cluster_state:ok on every node", timeout: 20) {
            try ports.indices.allSatisfy {
                try command($0, ["CLUSTER", "INFO"], group: group).string?.contains("cluster_state:ok") == true
            }
        }
    }

    /// Node `primaries + r` replicates primary `r`; waits until each replica is in sync.
    private func attachReplicas(primaries: Int, group: EventLoopGroup) throws {
        for replica in primaries..<ports.count {
            let primaryID = try nodeID(replica - primaries, group: group)
            try waitUntil("node \(replica) knows its primary") {
                (try? command(replica, ["CLUSTER", "REPLICATE", primaryID], group: group)) == .simpleString("OK")
            }
            try waitUntil("replica \(replica) in sync", timeout: 20) {
                try command(replica, ["INFO", "replication"], group: group).string?
                    .contains("master_link_status:up") == true
            }
        }
    }

    static func serverBinary() throws -> URL {
        let candidates = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
            .map { URL(fileURLWithPath: String($0)).appendingPathComponent("redis-server") }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            XCTFail("redis-server is not on PATH: the cluster tests start their own (apt-get install redis-server)")
            throw TimedOut(description: "no redis-server")
        }
        return found
    }

    /// A port that is free, and whose cluster bus port (+10000) is free and valid too.
    static func freePort(group: EventLoopGroup) throws -> Int {
        for _ in 0..<100 {
            let port = Int.random(in: 20_000...45_000)
            let bound = [port, port + 10_000].compactMap {
                try? ServerBootstrap(group: group).bind(host: "127.0.0.1", port: $0).wait()
            }
            for channel in bound { try channel.close().wait() }
            if bound.count == 2 { return port }
        }
        throw TimedOut(description: "no free port pair")
    }
}
