// Where the hub's event-loop futures meet async code. The hub, the transport and the bus speak `EventLoopFuture`
// (everything on a socket's or shard's loop); the directory, the live store and token minting are async. Code
// that must hand an async result to the hub goes through `EventLoop.futureFromTask`; async code that waits for
// the hub uses NIO's `EventLoopFuture.get()`. No other bridge is written by hand.
import NIOCore

extension EventLoop {
    /// Runs `body` as a task and completes the returned future on this loop with its value or its error.
    public func futureFromTask<Value: Sendable>(
        _ body: @escaping @Sendable () async throws -> Value
    ) -> EventLoopFuture<Value> {
        let promise = makePromise(of: Value.self)
        promise.completeWithTask(body)
        return promise.futureResult
    }
}
