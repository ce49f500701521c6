import Foundation
import NIOCore
import RallyAuth
import RallyDirectory
import RallyHub
import RallyPrivacy
import RallyProtocol
import RallyWebSocket

/// Embedded mode with the in-memory directory only: what a demo person does in the product (RSVP, create an
/// event, nudge someone, move a plan on), written to the in-memory directory. Its change stream feeds the same
/// `ChangePipeline` and live feeds that `NOTIFY rally_changes` drives with Postgres, so the demo page sees the
/// real path. Chat and plan votes need no endpoint: they are the product's own WebSocket writes.
///
/// Every action is a `POST` with a JSON body and `Authorization: Bearer <demo token>`; the actor is the token's
/// `sub`, which must be a person of the directory. Answers: 200 `{"ok": true, …}`; 401 without a valid token;
/// 403 `{"message": <join refusal>}` when the person may not see the event or plan; 422 on a malformed body.
struct DemoActions: Sendable {
    let directory: InMemoryDirectory
    let services: HubServices
    /// The most a body may hold (the requests are a few fields).
    static let maxBodyBytes = 4096

    static let paths: Set<String> = ["/demo/rsvp", "/demo/event", "/demo/notify", "/demo/plan"]

    func respond(to request: HTTPRequest, path: String, on loop: EventLoop) -> EventLoopFuture<HTTPResponse> {
        guard request.head.method == .POST else {
            return loop.makeSucceededFuture(Responses.message(.methodNotAllowed, "Method not allowed"))
        }
        guard let actor = actor(of: request) else {
            return loop.makeSucceededFuture(Responses.message(.unauthorized, "Unauthorized: a demo person's token"))
        }
        guard request.body.readableBytes <= Self.maxBodyBytes, let body = try? JSON.parse(request.body),
              body.objectValue != nil else {
            return loop.makeSucceededFuture(Self.invalid("body must be a JSON object"))
        }
        return loop.futureFromTask {
            switch path {
            case "/demo/rsvp": return try await rsvp(actor, body, on: loop)
            case "/demo/event": return await createEvent(actor, body)
            case "/demo/notify": return await notify(actor, body)
            default: return try await movePlan(actor, body, on: loop)
            }
        }
    }

    /// `{event_id, status: going|interested|maybe|none, visibility?: public|friends|private}` (default public).
    private func rsvp(_ actor: Identity, _ body: JSON, on loop: EventLoop) async throws -> HTTPResponse {
        guard let event = body["event_id"]?.stringValue.flatMap(UUIDText.parse),
              let status = body["status"]?.stringValue, Self.rsvpStatuses.contains(status) else {
            return Self.invalid("needs event_id and status (going, interested, maybe or none)")
        }
        let visibility = ItemVisibility(rawValue: body["visibility"]?.stringValue ?? "public") ?? .public
        if let refusal = try await refusal(actor, topic: "event:\(event.uuidString.lowercased())", on: loop) {
            return refusal
        }
        let user = try person(actor)
        let mutation: DirectoryMutation = status == "none"
            ? .removeAttendance(event: event, user: user)
            : .setAttendance(event: event, .init(user: user, status: status, visibility: visibility))
        let changes = await directory.apply(mutation)
        return Responses.json(.ok, .object(["ok": .bool(true), "changed": .bool(!changes.isEmpty)]))
    }

    /// `{title}`: a public event created by the actor (friends see it as activity), 30 places.
    private func createEvent(_ actor: Identity, _ body: JSON) async -> HTTPResponse {
        guard let title = body["title"]?.stringValue, !title.isEmpty, title.count <= 120,
              let user = try? person(actor) else {
            return Self.invalid("needs a title of 1 to 120 characters")
        }
        let id = UUID()
        let start = services.now().addingTimeInterval(7 * 24 * 3600)
        await directory.apply(.createEvent(EventDetails(
            id: id, title: title, startsAt: start, endsAt: start.addingTimeInterval(3 * 3600),
            locationName: "Somewhere nice", locationAddress: nil, isActive: true, visibility: .public,
            creator: user), capacity: 30))
        return Responses.json(.ok, .object(["ok": .bool(true), "event_id": .string(id.uuidString.lowercased())]))
    }

    /// `{to, message}`: a notification for `to` from the actor; refused across a block, as the product would.
    private func notify(_ actor: Identity, _ body: JSON) async -> HTTPResponse {
        guard let recipient = body["to"]?.stringValue.flatMap(UUIDText.parse),
              let message = body["message"]?.stringValue, !message.isEmpty, message.count <= 200,
              let user = try? person(actor), let name = DemoWorld.name(of: user),
              await directory.privacyLevel(of: recipient) != nil else {
            return Self.invalid("needs to (a demo person's id) and a message of 1 to 200 characters")
        }
        let relationship = await directory.relationship(of: user, to: recipient)
        guard relationship != .blocking && relationship != .blockedBy else {
            return Responses.message(.forbidden, "Blocked: neither of you can reach the other")
        }
        let record = NotificationRecord(id: UUID(), user: recipient, type: "demo_nudge", title: "\(name) nudged you",
                                        message: message, createdAt: services.now())
        await directory.apply(.insertNotification(record))
        return Responses.json(.ok, .object(["ok": .bool(true), "id": .string(record.id.uuidString.lowercased())]))
    }

    /// `{plan_id, status}`: a participant moves the plan on (`planning`, `confirmed`, `booked`, `cancelled`, …).
    private func movePlan(_ actor: Identity, _ body: JSON, on loop: EventLoop) async throws -> HTTPResponse {
        guard let plan = body["plan_id"]?.stringValue.flatMap(UUIDText.parse),
              let status = body["status"]?.stringValue, Self.planStatuses.contains(status) else {
            return Self.invalid("needs plan_id and status (\(Self.planStatuses.sorted().joined(separator: ", ")))")
        }
        if let refusal = try await refusal(actor, topic: "plan:\(plan.uuidString.lowercased())", on: loop) {
            return refusal
        }
        await directory.apply(.setPlanStatus(plan: plan, status))
        return Responses.json(.ok, .object(["ok": .bool(true)]))
    }

    static let rsvpStatuses: Set<String> = ["going", "interested", "maybe", "none"]
    static let planStatuses: Set<String> = ["proposed", "planning", "confirmed", "booked", "cancelled", "completed"]

    /// The verified identity of a demo person's bearer token (its `sub` one of `DemoData`'s people); nil otherwise.
    private func actor(of request: HTTPRequest) -> Identity? {
        guard let bearer = request.head.headers.first(name: "authorization"), bearer.lowercased().hasPrefix("bearer "),
              case .success(let identity) = services.verifier.verify(
                String(bearer.dropFirst("bearer ".count)), now: services.now()),
              identity.role == .authenticated,
              let person = identity.subject.flatMap(UUIDText.parse), DemoWorld.name(of: person) != nil else {
            return nil
        }
        return identity
    }

    private func person(_ actor: Identity) throws -> UUID {
        guard let id = actor.subject.flatMap(UUIDText.parse) else { throw DemoActionError.noSubject }
        return id
    }

    enum DemoActionError: Error { case noSubject }

    /// The node's own join rules decide whether the actor may act on the topic; nil when allowed.
    private func refusal(_ actor: Identity, topic: String, on loop: EventLoop) async throws -> HTTPResponse? {
        let decision = try await services.authorizer.authorize(subtopic: topic, identity: actor, isPrivate: true,
                                                               on: loop).get()
        if case .deny(let reason) = decision { return Responses.message(.forbidden, reason) }
        return nil
    }

    private static func invalid(_ message: String) -> HTTPResponse {
        Responses.message(.unprocessableEntity, message)
    }
}
