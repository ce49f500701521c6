// A connection from its first byte: NIO's HTTP/1.1 parser, HTTPConnectionStateMachine (requests,
// bodies, pipelining, keep-alive), the opening-handshake checks, permessage-deflate negotiation and,
// after an accepted upgrade, the WebSocket frame handler; the server's pipeline on an EmbeddedChannel.
//
// Input: byte 0 picks how the rest is split into reads; the rest is what the client sent. Plain requests
// get 200 with their path; upgrades to /reject get 403, any other upgrade is accepted with an echo session.
// Invariant: nothing crashes or traps, whatever the order of parts, and the channel can always be closed.
import FuzzSupport
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOWebSocket
@testable import RallyWebSocket

final class Echo: WebSocketSessionHandler {
    func sessionDidOpen(_ session: WebSocketSession) {}
    func session(_ session: WebSocketSession, didReceive message: WebSocketMessage) { session.send(message) }
    func sessionDidClose(_ session: WebSocketSession, code: WebSocketErrorCode?) {}
}

final class Delegate: HTTPServerDelegate {
    func upgradeDecision(for request: HTTPRequest, eventLoop: EventLoop) -> EventLoopFuture<UpgradeDecision> {
        if request.head.uri.hasPrefix("/reject") {
            return eventLoop.makeSucceededFuture(.reject(HTTPResponse(status: .forbidden)))
        }
        return eventLoop.makeSucceededFuture(.upgrade(Echo()))
    }

    func respond(to request: HTTPRequest, eventLoop: EventLoop) -> EventLoopFuture<HTTPResponse> {
        eventLoop.makeSucceededFuture(HTTPResponse(status: .ok, body: ByteBuffer(string: request.head.uri)))
    }
}

let delegate = Delegate()
let logger = Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() })

/// The server's configuration with Rally's default limits (1 MiB messages and frames, 1 MiB bodies).
let configuration: WebSocketServerConfiguration = {
    var configuration = WebSocketServerConfiguration()
    configuration.maxMessageSize = 1 << 20
    configuration.maxFrameSize = 1 << 20
    return configuration
}()

func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let loop = EmbeddedEventLoop()
    let channel = EmbeddedChannel(loop: loop)
    let decoder = ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes))
    let encoder = HTTPResponseEncoder()
    let handler = HTTPConnectionHandler(
        configuration: configuration, delegate: delegate, codec: .init(decoder: decoder, encoder: encoder), logger: logger
    )
    do {
        try channel.pipeline.syncOperations.addHandlers([decoder, encoder, handler])
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 4000)).wait()
    } catch {
        fatalError("pipeline setup failed: \(error)")
    }
    for read in chunks(of: UnsafeRawBufferPointer(start: data + 1, count: size - 1), seed: data[0]) {
        guard channel.isActive else { break }
        // A parse error is the decoder's to report (the handler answers 400 and closes); it is not a crash.
        _ = try? channel.writeInbound(read)
        while (try? channel.readOutbound(as: ByteBuffer.self)) != nil {}
        while (try? channel.readInbound(as: ByteBuffer.self)) != nil {}
    }
    loop.advanceTime(by: .seconds(120))  // every timer (handshake, idle, close) fires
    while (try? channel.readOutbound(as: ByteBuffer.self)) != nil {}
    _ = try? channel.finish()
    try? loop.syncShutdownGracefully()
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1) { fuzz(data ?? UnsafePointer($0.baseAddress!), size) }
}

@_cdecl("FuzzHTTPRequest_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, testOneInput)
}
