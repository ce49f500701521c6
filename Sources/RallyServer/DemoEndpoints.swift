import Foundation
import NIOCore
import RallyAuth
import RallyWebSocket

/// Embedded mode only: the demo page at `/` and `/demo/token`, which mints a short-lived `authenticated` token for
/// a fresh demo user so two browser tabs can chat and see each other's presence. Never served in production.
struct DemoEndpoints: Sendable {
    let page: ByteBuffer
    let tokens: DemoTokens

    init(tokens: DemoTokens) throws {
        guard let url = Bundle.module.url(forResource: "demo", withExtension: "html", subdirectory: "Resources") else {
            throw ConfigurationError("demo page resource missing from the bundle")
        }
        self.page = ByteBuffer(bytes: try Data(contentsOf: url))
        self.tokens = tokens
    }

    func respond(to request: HTTPRequest, target: RequestTarget, on loop: EventLoop) -> EventLoopFuture<HTTPResponse>? {
        switch target.path {
        case "/", "/index.html":
            return loop.makeSucceededFuture(
                HTTPResponse(status: .ok, headers: ["content-type": "text/html; charset=utf-8"], body: page))
        case "/demo/token":
            let tokens = self.tokens
            return loop.futureFromTask {
                let user = try await tokens.mint(role: "authenticated")
                return Responses.json(.ok, .object([
                    "token": .string(user.token), "user_id": .string(user.subject ?? ""),
                ]))
            }
        default:
            return nil
        }
    }
}

/// Signs demo tokens with the node's HS256 secret (embedded mode only).
struct DemoTokens: Sendable {
    let verifier: TokenVerifier
    let lifetime: TimeInterval

    struct Minted: Sendable {
        let token: String
        let subject: String?
        let role: String
    }

    /// A token for `role`; `authenticated` tokens get a new random user id as `sub`.
    func mint(role: String) async throws -> Minted {
        let subject = role == "authenticated" ? UUID().uuidString.lowercased() : nil
        let token = try await verifier.signHS256(subject: subject, role: role,
                                                 expiresAt: Date().addingTimeInterval(lifetime))
        return Minted(token: token, subject: subject, role: role)
    }
}
