import Foundation
import NIOCore
import RallyProtocol
import RallyAuth
import RallyPrivacy

/// One joined channel of one socket, as the topic table sees it.
///
/// Thread ownership: the `let` fields are immutable and read from any loop. `shardSlot` is read and written only on
/// the owning shard's loop. Everything else (`isActive`, `presenceEnabled`, `connection`) is read and written only on
/// `eventLoop`, the socket's loop, where every delivery runs. That discipline is why this is `@unchecked Sendable`.
public final class ChannelSubscription: @unchecked Sendable {
    // The order of the fields leaves no padding between them (an idle socket keeps one of these per channel):
    // 8-byte-aligned ones, then the odd-sized and one-byte ones packed, then the socket loop's references.
    public let id: UInt64
    public let topic: String
    public let eventLoop: EventLoop
    /// Index of `eventLoop` in the hub's loop list: fanout groups subscribers by it.
    public let loopIndex: Int
    /// Identity of the joining user, for per-item filters. Fixed for the subscription's life: an `access_token` of
    /// another user or role closes the channel (`ClientConnection.handleAccessToken`) instead of changing it.
    public let userID: String?
    public let joinRef: JSON?
    public let version: ProtocolVersion
    public let broadcastSelf: Bool
    /// The joining token's role was `service_role` (per-item filters let it see everything).
    public let isServiceRole: Bool
    /// `userID` as a UUID (nil when it is none), decoded once at join: per-item filters compare it per delivery.
    public let userUUID: UUID?

    // MARK: owned by the socket's loop
    var isActive = true
    var presenceEnabled: Bool
    var heldOverflow = false
    /// The socket, until the channel is released (`ClientConnection.release` clears it, which also breaks the
    /// cycle connection → registry → subscription → connection). Strong rather than weak: a weak load on every
    /// delivery cost 4 % of a fanout's CPU, and a weak reference gives the connection a side table.
    var connection: ClientConnection?
    /// Until the join is acknowledged and its backlog sent, live messages wait here (bounded by
    /// `HubLimits.maxHeldMessages`; past it the oldest are dropped and `heldOverflow` is set).
    var held: [FanoutMessage]? = []
    /// The items the join's backlog already delivered: a live copy is dropped whenever it comes (its NOTIFY may
    /// be handled after the backlog was read). Nil when the join had no backlog.
    var backlogKeys: Set<String>?

    // MARK: owned by the shard's loop
    var shardSlot = -1

    init(id: UInt64, topic: String, joinRef: JSON?, version: ProtocolVersion, eventLoop: EventLoop, loopIndex: Int,
         broadcastSelf: Bool, presenceEnabled: Bool, userID: String?, isServiceRole: Bool = false) {
        self.id = id
        self.topic = topic
        self.joinRef = joinRef
        self.version = version
        self.eventLoop = eventLoop
        self.loopIndex = loopIndex
        self.broadcastSelf = broadcastSelf
        self.presenceEnabled = presenceEnabled
        self.userID = userID
        self.userUUID = userID.flatMap(UUIDText.parse)
        self.isServiceRole = isServiceRole
    }

    /// Runs on `eventLoop`: hands one fanout message to the socket, unless it is not for this subscriber.
    /// Returns whether a frame went to the socket (held messages count when they are released).
    @discardableResult
    func deliver(_ message: FanoutMessage) -> Bool {
        eventLoop.assertInEventLoop()
        guard isActive, let connection else { return false }
        if held != nil {
            hold(message, limit: connection.services.limits.maxHeldMessages)
            return false
        }
        if let key = message.dedupeKey, backlogKeys?.contains(key) == true { return false }
        if message.senderID == id && !broadcastSelf { return false }
        if message.kind == .presence && !presenceEnabled { return false }
        if let audience = message.audience, !audience.admits(self) {
            connection.metrics.filteredDeliveries.increment()
            return false
        }
        guard let frame = message.frame(for: version) else { return false }
        connection.deliver(frame)
        return true
    }
}

extension ChannelSubscription {
    private func hold(_ message: FanoutMessage, limit: Int) {
        if held!.count >= limit {
            held!.removeFirst()
            heldOverflow = true
        }
        held!.append(message)
    }

    /// Ends holding: delivers what was held, in order, except items already sent in the backlog (now and later,
    /// see `backlogKeys`). Returns
    /// whether messages were lost to the bound meanwhile.
    func release(skipping keys: Set<String>) -> Bool {
        eventLoop.assertInEventLoop()
        guard let waiting = held else { return false }
        held = nil
        if !keys.isEmpty { backlogKeys = keys }
        for message in waiting { deliver(message) }
        return heldOverflow
    }
}

/// Decides, per subscriber, whether an item may be shown (per-item privacy). Must be cheap and must not throw:
/// anything it cannot decide is a "no" for that subscriber only.
public protocol Audience: Sendable {
    func admits(_ subscription: ChannelSubscription) -> Bool
}
