import Foundation
import NIOCore
import RallyHub

/// Limits of location sharing (docs/live-data.md, "Location sharing"; `RALLY_LOCATION_*` in RallyServer).
public struct LocationSettings: Sendable, Hashable {
    /// Decimal places kept of latitude and longitude (4 ≈ 11 m, 3 ≈ 110 m); 0…6.
    public var precisionDigits = 4
    /// Longest share a `share_start` may ask for; longer asks are cut to it.
    public var maxDurationSeconds = 4 * 3600
    /// A `share_start` without `duration_s` lasts this long.
    public var defaultDurationSeconds = 15 * 60
    /// Positions per second per user on this node (burst `burst`); past it: `RateLimited`.
    public var positionsPerSecond: Double = 1
    public var burst = 3
    /// Largest `position` or `share_start` payload (encoded JSON bytes).
    public var maxPayloadBytes = 256

    public init() {}

    /// Latitude/longitude resolution in metres at the equator (one unit of the last kept decimal place).
    public var resolutionMeters: Double { 111_320 / pow(10, Double(precisionDigits)) }
}

/// Who shares a live position where, per channel (a person may share on several topics, or from two tabs), and
/// each person's position budget. Pure: the caller passes the time and acts on what is returned; no timer here.
/// A share exists only between a `share_start` and its stop (asked, expired, or its channel gone): there is no
/// other way to send a position, so nobody receives one from a person who has not opted in.
struct LocationShares {
    struct Share: Hashable {
        let user: UUID
        let topic: String
        var expiresAt: NIODeadline
    }

    enum PositionOutcome: Equatable {
        /// Fan it out; the share lasts until `expiresAt`.
        case accepted(expiresAt: NIODeadline)
        /// No share on this channel: `share_start` first.
        case notSharing
        /// The share's time is up (it is removed: the caller tells the receivers).
        case expired(Share)
        /// Over the person's budget: dropped, with an error reply.
        case rateLimited
    }

    let settings: LocationSettings
    private(set) var shares: [UInt64: Share] = [:]
    /// Each person's bucket and its last use. Kept after their shares end (or stopping and starting again would
    /// refill it); dropped once unused for as long as a full refill takes, when it is full anyway.
    private var budgets: [UUID: (bucket: TokenBucket, lastUse: NIODeadline)] = [:]

    init(settings: LocationSettings) {
        self.settings = settings
    }

    /// Starts (or renews) the share of channel `channel`; returns when it ends. A start costs a token like a
    /// position, so stopping and starting again is no way around the limit; nil when over the budget.
    mutating func start(channel: UInt64, user: UUID, topic: String, durationSeconds: Int?,
                        now: NIODeadline) -> NIODeadline? {
        guard takeToken(user, now: now) else { return nil }
        let asked = durationSeconds ?? settings.defaultDurationSeconds
        let seconds = max(1, min(asked, settings.maxDurationSeconds))
        let expiresAt = now + .seconds(Int64(seconds))
        shares[channel] = Share(user: user, topic: topic, expiresAt: expiresAt)
        return expiresAt
    }

    /// A position from channel `channel`.
    mutating func position(channel: UInt64, now: NIODeadline) -> PositionOutcome {
        guard let share = shares[channel] else { return .notSharing }
        guard now < share.expiresAt else {
            _ = stop(channel: channel)
            return .expired(share)
        }
        guard takeToken(share.user, now: now) else { return .rateLimited }
        return .accepted(expiresAt: share.expiresAt)
    }

    /// Ends the channel's share (asked, or the channel is gone); the share that ended, if there was one.
    mutating func stop(channel: UInt64) -> Share? {
        shares.removeValue(forKey: channel)
    }

    /// The expiry timer of a share fired: removes it if its time is really up (a renewal moves the time on).
    mutating func expire(channel: UInt64, now: NIODeadline) -> Share? {
        guard let share = shares[channel], now >= share.expiresAt else { return nil }
        return stop(channel: channel)
    }

    /// People with a budget kept (tests).
    var budgetCount: Int { budgets.count }

    private mutating func takeToken(_ user: UUID, now: NIODeadline) -> Bool {
        if budgets[user] == nil, budgets.count >= 2 * shares.count + 16 { pruneBudgets(now: now) }
        var bucket = budgets[user]?.bucket
            ?? TokenBucket(burst: settings.burst, ratePerSecond: settings.positionsPerSecond, now: now)
        let taken = bucket.tryTake(now: now)
        budgets[user] = (bucket, now)
        return taken
    }

    private mutating func pruneBudgets(now: NIODeadline) {
        let refill = TimeAmount.nanoseconds(Int64(Double(settings.burst) / settings.positionsPerSecond * 1e9) + 1)
        let sharing = Set(shares.values.map(\.user))
        budgets = budgets.filter { sharing.contains($0.key) || now - $0.value.lastUse < refill }
    }
}
