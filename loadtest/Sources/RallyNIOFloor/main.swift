// rally-nio-floor: the least a hub on SwiftNIO does per message, as a reference for Rally's benchmarks (the
// NIO counterpart of an epoll floor server): subscribers on `/sub/<topic>`, publishes by HTTP POST on
// `/pub/<topic>` (202, keep-alive, pipelining) and by WebSocket frames on `/pubsub/<topic>`, one frame encoded
// once per publish, one write per subscriber and one flush per subscriber and loop tick. No JSON, no identity,
// no channels, no limits beyond the request and frame sizes: not a server for anything but measurements.
//
//   rally-nio-floor [--host 127.0.0.1] [--port 8097] [--threads 1]
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix

func option(_ name: String, default value: String) -> String {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return value }
    return arguments[index + 1]
}

/// Raises the soft open-file limit to the hard one (19,000 subscribers need more than the usual 1,024).
func raiseFileLimit() {
    var limit = rlimit()
    guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
    limit.rlim_cur = limit.rlim_max
    _ = setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
}

let host = option("--host", default: "127.0.0.1")
let port = Int(option("--port", default: "8097")) ?? 8097
let threads = max(1, Int(option("--threads", default: "1")) ?? 1)
raiseFileLimit()
let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
let topics = FloorTopics(loops: Array(group.makeIterator()))
let server = try ServerBootstrap(group: group)
    .serverChannelOption(ChannelOptions.backlog, value: 4096)
    .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(FloorConnection(topics: topics))
        }
    }
    .bind(host: host, port: port).wait()
print("rally-nio-floor listening on \(host):\(port), \(threads) event loop(s), pid \(getpid())")
fflush(nil)
try server.closeFuture.wait()
