import Foundation
import NIOConcurrencyHelpers
import NIOCore
import RallyAuth
import RallyHub
import RallyPrivacy
import RallyProtocol

/// Live location sharing on `location:plan:<id>` and `location:friends:<id>` (docs/live-data.md): turns a
/// sharer's `share_start`, `position` and `share_stop` into the server's `location` and `location_stopped`,
/// stamped with the sender, rounded and rate-limited. Nothing is stored: a position exists only in the frames that
/// carry it. Who receives is decided as for any broadcast of a member: the join rules and their revocation, and
/// the sender's blocks at delivery (`LiveFeeds.audience`), on this node and on the others.
///
/// The shares are cut by sharer into `LocationShares` tables, each behind its own lock; an expiry is a timer on
/// one of the hub's loops.
final class LocationFeed: Sendable {
    private struct Table {
        var shares: LocationShares
        var timers: [UInt64: Scheduled<Void>] = [:]
    }

    private let hub: Hub
    private let blocks: BlockIndex
    let settings: LocationSettings
    private let tables: [NIOLockedValueBox<Table>]

    init(hub: Hub, blocks: BlockIndex, settings: LocationSettings, tableCount: Int = 16) {
        self.hub = hub
        self.blocks = blocks
        self.settings = settings
        tables = (0..<max(1, tableCount)).map { _ in
            NIOLockedValueBox(Table(shares: LocationShares(settings: settings)))
        }
    }

    /// What a client broadcast on a location topic does. `service_role` (the backend) broadcasts as anywhere.
    func write(_ write: FeedWrite) -> WriteDisposition {
        guard write.join.identity.role != .serviceRole else { return .publish }
        guard let user = write.join.identity.subject.flatMap(UUIDText.parse) else {
            return .refuse(LocationPayloads.needsUser.reason)
        }
        // A share belongs to a channel and ends with it; a REST publish has none (subscription id 0).
        guard write.join.subscriptionID != 0 else { return .refuse(LocationPayloads.needsChannel.reason) }
        let result: Result<RewrittenWrite, LocationPayloads.Refusal>
        switch write.event {
        case LocationPayloads.shareStart: result = start(write, user: user)
        case LocationPayloads.position: result = position(write, user: user)
        case LocationPayloads.shareStop: result = .success(stop(write.join, user: user))
        default: result = .failure(LocationPayloads.unknownEvent)
        }
        switch result {
        case .success(let rewritten): return .rewrite(rewritten)
        case .failure(let refusal): return .refuse(refusal.reason)
        }
    }

    /// The channel is gone: its share, if any, ends and the receivers are told.
    func channelClosed(_ join: FeedJoin) {
        guard let user = join.identity.subject.flatMap(UUIDText.parse) else { return }
        guard let share = table(of: user).withLockedValue({ Self.remove(join.subscriptionID, from: &$0) }) else {
            return
        }
        announceStop(share, reason: .left)
    }

    // MARK: Client events

    private func start(_ write: FeedWrite, user: UUID) -> Result<RewrittenWrite, LocationPayloads.Refusal> {
        LocationPayloads.duration(write.payload, settings).flatMap { duration in
            let channel = write.join.subscriptionID
            let now = NIODeadline.now()
            let table = table(of: user)
            let expiresAt = table.withLockedValue { table -> NIODeadline? in
                guard let expiresAt = table.shares.start(channel: channel, user: user, topic: write.join.topic,
                                                         durationSeconds: duration, now: now) else { return nil }
                table.timers.removeValue(forKey: channel)?.cancel()
                table.timers[channel] = scheduleExpiry(channel: channel, user: user, at: expiresAt)
                return expiresAt
            }
            guard let expiresAt else { return .failure(LocationPayloads.rateLimited(settings)) }
            let response: JSON = .object(["expires_at": LivePayloads.timestamp(Self.wallClock(expiresAt, now: now)),
                                          "precision_digits": .int(settings.precisionDigits)])
            return .success(RewrittenWrite(event: nil, response: response))
        }
    }

    private func position(_ write: FeedWrite, user: UUID) -> Result<RewrittenWrite, LocationPayloads.Refusal> {
        LocationPayloads.position(write.payload, settings).flatMap { position in
            let channel = write.join.subscriptionID
            let now = NIODeadline.now()
            let outcome = table(of: user).withLockedValue { table -> LocationShares.PositionOutcome in
                let outcome = table.shares.position(channel: channel, now: now)
                if case .expired = outcome { table.timers.removeValue(forKey: channel)?.cancel() }
                return outcome
            }
            switch outcome {
            case .accepted(let expiresAt):
                let payload = LocationPayloads.location(
                    user: user, LocationPayloads.rounded(position, settings), at: Date(),
                    expiresAt: Self.wallClock(expiresAt, now: now), settings)
                return .success(RewrittenWrite(event: LiveEvents.location, payload: payload))
            case .expired(let share):
                announceStop(share, reason: .expired)
                return .failure(LocationPayloads.expired)
            case .notSharing:
                return .failure(LocationPayloads.notSharing)
            case .rateLimited:
                return .failure(LocationPayloads.rateLimited(settings))
            }
        }
    }

    /// `share_stop`: the receivers are told, from the sharer, as a position would be. Stopping no share is no error.
    private func stop(_ join: FeedJoin, user: UUID) -> RewrittenWrite {
        let share = table(of: user).withLockedValue { Self.remove(join.subscriptionID, from: &$0) }
        guard share != nil else { return RewrittenWrite(event: nil) }
        return RewrittenWrite(event: LiveEvents.locationStopped,
                              payload: LocationPayloads.stopped(user: user, reason: .stopped))
    }

    // MARK: Expiry and stop

    private func scheduleExpiry(channel: UInt64, user: UUID, at deadline: NIODeadline) -> Scheduled<Void> {
        let loop = hub.loops[Int(channel % UInt64(hub.loops.count))]
        return loop.scheduleTask(deadline: deadline) { [self] in
            let share = table(of: user).withLockedValue { table -> LocationShares.Share? in
                guard let share = table.shares.expire(channel: channel, now: .now()) else { return nil }
                table.timers[channel] = nil
                return share
            }
            if let share { announceStop(share, reason: .expired) }
        }
    }

    /// `location_stopped` to everyone on the topic the sharer may reach (the sharer's own channel included).
    private func announceStop(_ share: LocationShares.Share, reason: LocationPayloads.StopReason) {
        let envelope = BroadcastEnvelope(topic: share.topic, event: LiveEvents.locationStopped,
                                         payload: .json(LocationPayloads.stopped(user: share.user, reason: reason)),
                                         preferBinary: false)
        let audience: Audience = blocks.blocks(of: share.user).map { LivePeerAudience(blocks: $0) }
            ?? ServiceRoleAudience()
        hub.broadcast(envelope, senderUser: share.user.uuidString.lowercased(), audience: audience)
    }

    private static func remove(_ channel: UInt64, from table: inout Table) -> LocationShares.Share? {
        table.timers.removeValue(forKey: channel)?.cancel()
        return table.shares.stop(channel: channel)
    }

    private func table(of user: UUID) -> NIOLockedValueBox<Table> {
        tables[abs(user.hashValue % tables.count)]
    }

    private static func wallClock(_ deadline: NIODeadline, now: NIODeadline) -> Date {
        Date().addingTimeInterval(Double((deadline - now).nanoseconds) / 1e9)
    }
}
