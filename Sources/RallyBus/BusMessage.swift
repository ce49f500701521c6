import NIOCore
import RallyProtocol

/// One message between nodes (or from a backend service) on the bus. What travels is data, never a pre-encoded
/// client frame: every receiving node encodes its own frames, once per serializer its subscribers use, and decides
/// per-item privacy for its own subscribers.
public struct BusMessage: Sendable, Equatable {
    public enum Kind: UInt8, Sendable {
        /// A client broadcast, a REST publish or a backend publish: delivered as an ordinary `broadcast`.
        case broadcast = 1
        /// Presence joins and leaves of one node on one topic (`PresenceChange`).
        case presenceDiff = 2
        /// On the control channel: "send me your presence entries of these topics" (`topics` in `payload`).
        case presenceRequest = 3
        /// On the requester's node channel: a node's presence entries of the requested topics.
        case presenceReply = 4
        /// On the control channel, every heartbeat interval: the node is alive.
        case heartbeat = 5
        /// On the control channel: the node is shutting down; its presence leaves now.
        case nodeLeaving = 6
    }

    public var kind: Kind
    /// The node that published it; 0 for a backend service.
    public var origin: UInt64
    /// Per origin, strictly increasing in publish order (stamped where the origin's publishes are serialised).
    public var sequence: UInt64
    /// The origin's previous sequence number on this topic (0: unknown). A receiver that saw another one last
    /// has missed messages: a gap.
    public var previous: UInt64
    /// Wall clock of the origin when published, in microseconds since the epoch (bus lag).
    public var sentAtMicros: UInt64
    /// The hub topic (`realtime:<subtopic>`); empty for control messages.
    public var topic: String
    /// The broadcast's user event; empty for other kinds.
    public var event: String
    /// The user who sent a broadcast (per-item privacy on the receiving node); nil for services and presence.
    public var senderUser: String?
    /// A broadcast's `meta` (e.g. `{"id": …}`); nil for none.
    public var meta: JSON?
    public var preferBinary: Bool
    public var payload: BroadcastPayload

    public init(kind: Kind, origin: UInt64 = 0, sequence: UInt64 = 0, previous: UInt64 = 0, sentAtMicros: UInt64 = 0,
                topic: String, event: String = "", senderUser: String? = nil, meta: JSON? = nil,
                preferBinary: Bool = false, payload: BroadcastPayload = .json(.emptyObject)) {
        self.kind = kind
        self.origin = origin
        self.sequence = sequence
        self.previous = previous
        self.sentAtMicros = sentAtMicros
        self.topic = topic
        self.event = event
        self.senderUser = senderUser
        self.meta = meta
        self.preferBinary = preferBinary
        self.payload = payload
    }

    /// A broadcast carrying `envelope` as sent by `senderUser`.
    public static func broadcast(_ envelope: BroadcastEnvelope, senderUser: String?) -> BusMessage {
        BusMessage(kind: .broadcast, topic: envelope.topic, event: envelope.event, senderUser: senderUser,
                   meta: envelope.meta, preferBinary: envelope.preferBinary, payload: envelope.payload)
    }

    /// The broadcast as the hub fans it out.
    public var envelope: BroadcastEnvelope {
        BroadcastEnvelope(topic: topic, event: event, payload: payload, meta: meta, preferBinary: preferBinary)
    }

    /// The JSON payload (presence and control kinds carry JSON), or null.
    public var json: JSON {
        payload.jsonValue ?? .null
    }
}

/// Where a message goes on the bus: a topic's channel, the channel every node listens to, or one node's channel.
public enum BusChannel: Hashable, Sendable {
    case topic(String)
    case control
    case node(UInt64)
    /// Backend services publish here without knowing Rally's channel names (JSON form only).
    case ingress

    /// The Redis channel name (documented in README "Running several nodes"; backend services depend on it). On a
    /// Redis Cluster the names carry a hash tag instead (`ClusterChannelNames`, README "Redis Cluster").
    public var name: String {
        switch self {
        case .topic(let topic): return "rally:t:" + topic
        case .control: return "rally:ctl"
        case .node(let node): return "rally:n:" + String(node, radix: 16)
        case .ingress: return "rally:in"
        }
    }
}
