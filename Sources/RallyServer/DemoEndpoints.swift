import Foundation
import NIOCore
import RallyAuth
import RallyDirectory
import RallyProtocol
import RallyWebSocket

/// Embedded mode only: the demo page at `/` (with `demo.js`, `rally-client.js` and `demo.css`), `/demo/token`
/// (a short-lived `authenticated` token for a fresh user, or `?as=alice` for a demo person), `/demo/world` (the
/// demo people and what they stand to each other) and, with the in-memory directory, the actions of
/// `DemoActions`. Never served in production.
struct DemoEndpoints: Sendable {
    let files: [String: HTTPResponse]
    let tokens: DemoTokens
    let directory: (any Directory)?
    let actions: DemoActions?

    static let assets = [("/", "demo", "html", "text/html; charset=utf-8"),
                         ("/demo.js", "demo", "js", "text/javascript; charset=utf-8"),
                         ("/rally-client.js", "rally-client", "js", "text/javascript; charset=utf-8"),
                         ("/demo.css", "demo", "css", "text/css; charset=utf-8")]

    init(tokens: DemoTokens, directory: (any Directory)?, actions: DemoActions?) throws {
        var files: [String: HTTPResponse] = [:]
        for (path, name, ext, type) in Self.assets {
            guard let url = Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Resources") else {
                throw ConfigurationError("demo resource \(name).\(ext) missing from the bundle")
            }
            files[path] = HTTPResponse(status: .ok, headers: ["content-type": type, "cache-control": "no-cache"],
                                       body: ByteBuffer(bytes: try Data(contentsOf: url)))
        }
        files["/index.html"] = files["/"]
        self.files = files
        self.tokens = tokens
        self.directory = directory
        self.actions = actions
    }

    func respond(to request: HTTPRequest, target: RequestTarget, on loop: EventLoop) -> EventLoopFuture<HTTPResponse>? {
        if let file = files[target.path] { return loop.makeSucceededFuture(file) }
        switch target.path {
        case "/demo/token":
            let name = target.query["as"] ?? ""
            let subject = name.isEmpty ? nil : DemoWorld.person(named: name)
            if !name.isEmpty && subject == nil {
                return loop.makeSucceededFuture(Responses.message(.notFound, "No demo person \(name)"))
            }
            return answer(on: loop) { [tokens] in
                let user = try await tokens.mint(role: "authenticated", subject: subject)
                return Responses.json(.ok, .object([
                    "token": .string(user.token), "user_id": .string(user.subject ?? ""),
                    "name": subject.flatMap(DemoWorld.name(of:)).map(JSON.string) ?? .null,
                ]))
            }
        case "/demo/world":
            let viewer = target.query["as"].flatMap(DemoWorld.person(named:))
            return answer(on: loop) { [directory] in
                Responses.json(.ok, try await DemoWorld.document(viewer: viewer, directory: directory))
            }
        case let path where DemoActions.paths.contains(path):
            guard let actions else {
                return loop.makeSucceededFuture(Responses.message(.notFound,
                    "Demo actions need the in-memory directory (no RALLY_DATABASE_URL)"))
            }
            return actions.respond(to: request, path: path, on: loop)
        default:
            return nil
        }
    }

    private func answer(on loop: EventLoop, _ body: @escaping @Sendable () async throws -> HTTPResponse)
        -> EventLoopFuture<HTTPResponse> {
        loop.futureFromTask(body)
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

    /// A token for `role`; `authenticated` tokens get `subject` (a demo person) or a new random user id as `sub`.
    func mint(role: String, subject person: UUID? = nil) async throws -> Minted {
        let subject = role == "authenticated" ? (person ?? UUID()).uuidString.lowercased() : nil
        let token = try await verifier.signHS256(subject: subject, role: role,
                                                 expiresAt: Date().addingTimeInterval(lifetime))
        return Minted(token: token, subject: subject, role: role)
    }
}
