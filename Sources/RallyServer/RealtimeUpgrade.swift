import NIOCore
import NIOHTTP1
import RallyAuth
import RallyHub
import RallyProtocol
import RallyWebSocket

/// Admission of a realtime socket (ANCHORS §3.1 "Connect-time auth"): serializer, token (`x-api-key` header wins
/// over the `apikey` query), drain state and connection limits. Refusals are HTTP responses with Supabase's
/// status and `{"error": …}` body, sent after `connectErrorDelay`.
struct RealtimeUpgrade: Sendable {
    let services: HubServices
    let admission: ConnectionAdmission
    let connectErrorDelay: TimeAmount

    func decide(_ request: HTTPRequest, target: RequestTarget, on loop: EventLoop) -> EventLoopFuture<UpgradeDecision> {
        if services.isDraining {
            return refuse(.serviceUnavailable, "Realtime is restarting, please standby", metric: "draining", on: loop)
        }
        guard let version = ProtocolVersion.negotiate(vsn: target.query["vsn"]) else {
            return refuse(.badRequest, "Unsupported serializer version", metric: "bad_vsn", on: loop)
        }
        let address = request.remoteAddress?.ipAddress ?? "unknown"
        switch admission.check(address: address) {
        case .nodeFull:
            return refuse(.serviceUnavailable, "Too many connected users", metric: "connect_limit", on: loop)
        case .addressFull:
            return refuse(.tooManyRequests, "Too many connections from this address", metric: "connect_ip_limit",
                          on: loop)
        case .admitted:
            break
        }
        let token = request.head.headers.first(name: "x-api-key") ?? target.query["apikey"]
        switch services.verifier.verify(token, now: services.now()) {  // in place: the verifier never waits
        case .failure(let failure):
            return refuse(HTTPResponseStatus(statusCode: failure.httpStatus), failure.connectMessage,
                          metric: "connect_unauthorized", on: loop)
        case .success(let identity):
            return loop.makeSucceededFuture(accept(version: version, token: token ?? "", identity: identity,
                                                   address: address, on: loop))
        }
    }

    private func accept(version: ProtocolVersion, token: String, identity: Identity, address: String,
                        on loop: EventLoop) -> UpgradeDecision {
        let connection = services.makeConnection(on: loop, version: version, token: token, identity: identity)
        connection.admission = admission
        connection.peerAddress = address
        return .upgrade(connection)
    }

    private func refuse(_ status: HTTPResponseStatus, _ message: String, metric: String,
                        on loop: EventLoop) -> EventLoopFuture<UpgradeDecision> {
        services.metrics.rejection(metric).increment()
        let decision = UpgradeDecision.reject(Responses.connectError(status, message))
        guard connectErrorDelay > .zero else { return loop.makeSucceededFuture(decision) }
        return loop.scheduleTask(in: connectErrorDelay) { decision }.futureResult
    }
}
