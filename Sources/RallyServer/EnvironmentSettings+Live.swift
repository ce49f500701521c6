extension EnvironmentSetting {
    static let live: [EnvironmentSetting] = [
        .init("RALLY_CAPACITY_UPDATES_PER_SECOND", Default.rate(\.live.retainedUpdatesPerSecond),
              "capacity / event / plan updates per topic and second at most (latest value wins)") {
            $0.live.retainedUpdatesPerSecond = Double(try Parse.int($1))
        },
        .init("RALLY_REPLAY_MAX", Default.int(\.live.replayMaxMessages), "most chat messages one replay returns (broadcast.replay.limit is clamped)") {
            $0.live.replayMaxMessages = try Parse.int($1)
        },
        .init("RALLY_CHAT_MAX_BODY_BYTES", Default.int(\.live.maxMessageBodyBytes), "largest chat message body → MessageTooLarge") {
            $0.live.maxMessageBodyBytes = try Parse.int($1)
        },
        .init("RALLY_CHAT_PER_SECOND", Default.rate(\.live.chatPerSecond), "chat messages per second per channel (burst 10) → RateLimited") {
            $0.live.chatPerSecond = Double(try Parse.int($1))
        },
        .init("RALLY_TYPING_PER_SECOND", Default.rate(\.live.typingPerSecond), "typing indicators per second per channel (burst 3); the rest dropped") {
            $0.live.typingPerSecond = Double(try Parse.int($1))
        },
        .init("RALLY_UNREAD_ON_JOIN", Default.int(\.live.unreadOnJoin), "unread notifications sent on joining user:<id>") {
            $0.live.unreadOnJoin = try Parse.int($1)
        },
        .init("RALLY_LOCATION_PRECISION_DIGITS", "4",
              "decimal places kept of shared positions, 0…6 (4 ≈ 11 m, 3 ≈ 110 m)") {
            $0.live.location.precisionDigits = try Parse.intInRange($1, 0...6)
        },
        .init("RALLY_LOCATION_MAX_DURATION_S", "14400", "longest location share; longer share_start asks are cut") {
            $0.live.location.maxDurationSeconds = try Parse.intInRange($1, 1...(7 * 86_400))
        },
        .init("RALLY_LOCATION_PER_SECOND", "1", "positions per second per user and node (burst 3) → RateLimited") {
            $0.live.location.positionsPerSecond = Double(try Parse.intInRange($1, 1...1000))
        },
    ]
}

extension Parse {
    static func intInRange(_ raw: String, _ range: ClosedRange<Int>) throws -> Int {
        let value = try int(raw)
        guard range.contains(value) else {
            throw ConfigurationError("expected an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }
}
