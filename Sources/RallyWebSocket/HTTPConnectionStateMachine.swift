// The HTTP/1.1 side of a connection before any upgrade, as a pure state machine: which request
// parts are accepted, when a request is complete, and whether the connection stays open after the
// response. The channel handler only performs the actions it returns.
import NIOCore
import NIOHTTP1

struct HTTPConnectionStateMachine {
    enum State {
        /// Waiting for the next request head (the request timer runs until the request is complete).
        case idle
        /// A plain request's body is arriving.
        case collectingBody(HTTPRequestHead, ByteBuffer)
        /// A valid opening handshake; waiting for its end.
        case handshakeRequested(HTTPRequestHead, key: String)
        /// The delegate has the request; further parts wait.
        case awaitingResponse(keepAlive: Bool)
        /// The delegate is deciding on (or the handler is performing) an upgrade.
        case upgrading
        case closed
    }

    enum Action {
        case none
        /// The part belongs to a later (pipelined) request: hold it until the response is sent.
        case holdForLater
        case respond(HTTPRequestHead, body: ByteBuffer)
        case decideUpgrade(HTTPRequestHead, key: String)
        /// Send this response, then close the connection.
        case refuseAndClose(HTTPResponse)
    }

    let maxBodySize: Int
    private(set) var state: State = .idle

    init(maxBodySize: Int) {
        self.maxBodySize = maxBodySize
    }

    mutating func received(_ part: HTTPServerRequestPart) -> Action {
        switch (self.state, part) {
        case (.idle, .head(let head)):
            return self.headReceived(head)
        case (.collectingBody(let head, var body), .body(var chunk)):
            guard body.readableBytes + chunk.readableBytes <= self.maxBodySize else {
                return self.refuse(Self.payloadTooLarge)
            }
            self.state = .idle  // let go of the body while it grows (no copy)
            body.writeBuffer(&chunk)
            self.state = .collectingBody(head, body)
            return .none
        case (.collectingBody(let head, let body), .end):
            self.state = .awaitingResponse(keepAlive: Self.canKeepAlive(head))
            return .respond(head, body: body)
        case (.handshakeRequested, .body):
            return .none  // a handshake has no body; ignore one
        case (.handshakeRequested(let head, let key), .end):
            self.state = .upgrading
            return .decideUpgrade(head, key: key)
        case (.awaitingResponse, _), (.upgrading, _):
            return .holdForLater
        case (.closed, _):
            return .none
        case (.idle, _), (.collectingBody, .head), (.handshakeRequested, .head):
            return self.refuse(HTTPResponse(status: .badRequest))
        }
    }

    /// Whether a request is being read and no response has started: a parse error can still be
    /// answered with 400.
    var isReceivingRequest: Bool {
        switch self.state {
        case .idle, .collectingBody, .handshakeRequested: return true
        case .awaitingResponse, .upgrading, .closed: return false
        }
    }

    /// The response (with `keepAlive` as the delegate's response allowed) is written.
    /// Returns true when the connection stays open for another request.
    mutating func responseSent(responseAllowsKeepAlive: Bool) -> Bool {
        guard case .awaitingResponse(let keepAlive) = self.state, keepAlive, responseAllowsKeepAlive else {
            self.state = .closed
            return false
        }
        self.state = .idle
        return true
    }

    /// The request could not be parsed, the delegate failed, or an upgrade was refused.
    mutating func refuse(_ response: HTTPResponse) -> Action {
        self.state = .closed
        return .refuseAndClose(response)
    }

    mutating func upgradeCompleted() {
        self.state = .closed
    }

    private mutating func headReceived(_ head: HTTPRequestHead) -> Action {
        switch UpgradeRequestCheck(head) {
        case .notWebSocket:
            if let length = head.headers.first(name: "content-length").flatMap({ Int($0) }), length > self.maxBodySize {
                return self.refuse(Self.payloadTooLarge)
            }
            self.state = .collectingBody(head, ByteBuffer())
        case .valid(let key):
            self.state = .handshakeRequested(head, key: key)
        case let check:
            return self.refuse(check.refusal ?? HTTPResponse(status: .badRequest))
        }
        return .none  // the request timer keeps running: the body (or the handshake's end) is due in time too
    }

    /// Keep-alive as the request asked, except after a non-WebSocket `Upgrade` request: the HTTP
    /// parser stops after those, so the connection cannot carry another request.
    private static func canKeepAlive(_ head: HTTPRequestHead) -> Bool {
        head.isKeepAlive && !head.headers.contains(name: "upgrade")
    }

    static let payloadTooLarge = HTTPResponse(status: .payloadTooLarge, body: ByteBuffer(string: "request body too large\n"))
}
