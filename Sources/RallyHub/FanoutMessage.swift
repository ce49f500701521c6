import NIOCore
import RallyProtocol
import RallyWebSocket

/// A message on its way to every subscriber of a topic: encoded once per serializer version (and, inside
/// `SharedFrame`, compressed once per deflate setting), then shared by every socket.
public final class FanoutMessage: Sendable {
    public enum Kind: Sendable { case broadcast, presence }

    let kind: Kind
    /// The subscription that sent it (skipped unless it joined with `broadcast.self`), 0 for none.
    let senderID: UInt64
    let audience: Audience?
    /// Identifies the item (a chat message id, a notification id) so a joiner's backlog and the live stream
    /// never deliver it twice.
    let dedupeKey: String?
    /// When it was encoded (the start of `rally_fanout_seconds`).
    let createdAt = NIODeadline.now()
    private let v1Frame: SharedFrame?
    private let v2Frame: SharedFrame?

    init(kind: Kind, senderID: UInt64, audience: Audience?, dedupeKey: String?, v1Frame: SharedFrame?,
         v2: EncodedFrame?) {
        self.kind = kind
        self.senderID = senderID
        self.audience = audience
        self.dedupeKey = dedupeKey
        self.v1Frame = v1Frame
        self.v2Frame = v2.map { SharedFrame(isBinary: $0.isBinary, payload: $0.bytes) }
    }

    convenience init(kind: Kind, senderID: UInt64, audience: Audience?, dedupeKey: String? = nil, v1: EncodedFrame?,
                     v2: EncodedFrame?) {
        self.init(kind: kind, senderID: senderID, audience: audience, dedupeKey: dedupeKey,
                  v1Frame: v1.map { SharedFrame(isBinary: $0.isBinary, payload: $0.bytes) }, v2: v2)
    }

    func frame(for version: ProtocolVersion) -> SharedFrame? {
        switch version {
        case .v1: return v1Frame
        case .v2: return v2Frame
        }
    }

    /// A broadcast, encoded only for the versions that have subscribers.
    static func broadcast(_ envelope: BroadcastEnvelope, senderID: UInt64, audience: Audience?,
                          dedupeKey: String? = nil, versions: VersionCounts) -> FanoutMessage {
        // The v1 text is written straight behind its WebSocket header (the frame most sockets get).
        let v1 = versions.v1 > 0 ? envelope.v1ByteCount.map { size in
            SharedFrame(isBinary: false, payloadByteCount: size) { envelope.writeV1(size, into: &$0) }
        } : nil
        return FanoutMessage(kind: .broadcast, senderID: senderID, audience: audience, dedupeKey: dedupeKey,
                             v1Frame: v1, v2: versions.v2 > 0 ? envelope.encodeV2() : nil)
    }

    /// A fastlane push (`presence_diff`, server events): `ref` and `join_ref` null.
    static func push(kind: Kind, topic: String, event: String, payload: JSON, versions: VersionCounts,
                     audience: Audience? = nil) -> FanoutMessage {
        let message = OutboundMessage(joinRef: nil, ref: nil, topic: topic, event: event, payload: payload)
        return FanoutMessage(kind: kind, senderID: 0, audience: audience,
                             v1: versions.v1 > 0 ? OutboundEncoder.encode(message, version: .v1) : nil,
                             v2: versions.v2 > 0 ? OutboundEncoder.encode(message, version: .v2) : nil)
    }
}

/// How many subscribers of a topic use each serializer (so nobody encodes a frame no one reads).
struct VersionCounts: Sendable {
    var v1 = 0
    var v2 = 0

    /// Both serializers (retained values outlive the subscribers they were first encoded for).
    static let all = VersionCounts(v1: 1, v2: 1)

    mutating func add(_ version: ProtocolVersion, _ delta: Int) {
        switch version {
        case .v1: v1 += delta
        case .v2: v2 += delta
        }
    }
}
