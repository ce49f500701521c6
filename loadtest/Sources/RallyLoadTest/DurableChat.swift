import Foundation

/// `chat --durable`: the rooms are real groups (`group:<uuid>`), the members real users in `group_members`, each
/// connecting with its own token (`sub` = its user id). Members send `message` events, which Rally stores in
/// `group_messages` before it answers and fans them out (from the NOTIFY, with `meta.id`), the sender included.
struct DurableChat: Sendable {
    /// What one durable run measured.
    struct Outcome {
        var connections: ConnectionStats
        var memoryAfter: MemorySample
        var deliveries: DeliveryStats
        var sent: Int
        var seconds: Double
        var disconnected: Int
        var rejections: ChatRejections
        var setupCatchUpSeconds: Double
    }

    /// Room index (global) → group id.
    let groups: [UUID]
    /// Room index → member index → user id.
    let members: [[UUID]]
    /// Room index → member index → token.
    let tokens: [[String]]
    /// Waits for the node to process the memberships before the members talk.
    let barrier = ChangeFeedBarrier()

    init(rooms: Int, members count: Int, minter: TokenMinter) {
        groups = (0..<rooms).map { _ in UUID() }
        members = (0..<rooms).map { _ in (0..<count).map { _ in UUID() } }
        tokens = members.map { room in room.map { minter.token(user: $0.lowercased) } }
    }

    func topic(ofRoom room: Int) -> String { "group:\(groups[room].lowercased)" }

    func token(room: Int, member: Int) -> String { tokens[room][member] }

    var users: [UUID] { members.flatMap { $0 } + [barrier.user] }

    /// Creates the users (private profiles), the groups and their memberships.
    func create(in database: LoadDatabase) async throws {
        try await database.createUsers(members.flatMap { $0 }, privacy: "private")
        for (room, group) in groups.enumerated() { try await database.createGroup(group, members: members[room]) }
    }

    /// Removes them again (the stored messages go with the groups).
    func remove(from database: LoadDatabase) async throws {
        try await database.cleanUp(users: users, events: [], groups: groups)
    }
}

/// Replies to durable chat writes that were not ok, by reason (e.g. `RateLimited: …`); kept per talker's loop.
struct ChatRejections: Codable, Sendable {
    var count = 0
    var reasons: [String: Int] = [:]

    mutating func add(_ reason: String) {
        count += 1
        reasons[reason, default: 0] += 1
    }

    mutating func merge(_ other: ChatRejections) {
        count += other.count
        for (reason, number) in other.reasons { reasons[reason, default: 0] += number }
    }
}
