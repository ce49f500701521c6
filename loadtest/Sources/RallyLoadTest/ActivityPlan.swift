import Foundation
import NIOCore

/// Who is friends with whom in an `activity` run, and which RSVPs the writer commits. U users on a ring, each the
/// friend of the F nearest (F/2 on each side, plus the user opposite when F is odd), so every user has exactly F
/// friends and every RSVP should reach exactly F feeds. Pure.
struct ActivityPlan: Sendable {
    let users: [UUID]
    let friends: Int
    let events: [UUID]
    /// RSVP j: the index of its actor in `users` and of its event in `events`.
    let rsvps: [(actor: Int, event: Int)]
    /// `"<actor>:<event>:going"` (the item's id) → RSVP index.
    let rsvpByItemID: [String: Int]

    init(users count: Int, friends: Int, rsvps: Int) {
        users = (0..<count).map { _ in UUID() }
        self.friends = friends
        events = (0..<(rsvps + count - 1) / count).map { _ in UUID() }
        var plan: [(actor: Int, event: Int)] = []
        for event in events.indices {
            let actors = Array(0..<count).shuffled().prefix(min(count, rsvps - plan.count))
            plan += actors.map { (actor: $0, event: event) }
        }
        self.rsvps = plan
        var lookup: [String: Int] = [:]
        for (index, rsvp) in plan.enumerated() {
            lookup["\(users[rsvp.actor].lowercased):\(events[rsvp.event].lowercased):going"] = index
        }
        rsvpByItemID = lookup
    }

    static func validate(users: Int, friends: Int) -> String? {
        guard users >= 2, friends >= 1, friends < users else { return "need --users ≥ 2 and 1 ≤ --friends < --users" }
        if friends % 2 == 1, users % 2 == 1 { return "an odd --friends needs an even --users" }
        return nil
    }

    /// The friendship pairs (each once).
    var pairs: [(UUID, UUID)] {
        let count = users.count
        var pairs: [(UUID, UUID)] = []
        for user in 0..<count {
            for distance in 1...max(1, friends / 2) where friends >= 2 {
                pairs.append((users[user], users[(user + distance) % count]))
            }
            if friends % 2 == 1, user < count / 2 { pairs.append((users[user], users[user + count / 2])) }
        }
        return pairs
    }

    func areFriends(_ first: Int, _ second: Int) -> Bool {
        let count = users.count
        let distance = min((first - second + count) % count, (second - first + count) % count)
        if distance == 0 { return false }
        if distance <= friends / 2 { return true }
        return friends % 2 == 1 && distance == count / 2
    }
}

/// Finds an `activity` item's `"id":"…"` in a received frame and maps it to its RSVP (-1: an item the run did not
/// commit); nil for any other frame.
enum ActivityFrame {
    private static let idKey = Array("\"id\":\"".utf8)
    private static let verbKey = Array("\"verb\":".utf8)

    static func rsvp(in buffer: ByteBuffer, plan: ActivityPlan) -> Int64? {
        buffer.withUnsafeReadableBytes { bytes -> Int64? in
            guard PayloadScanner.find(verbKey, in: bytes) != nil, let start = PayloadScanner.find(idKey, in: bytes) else {
                return nil
            }
            var end = start + idKey.count
            while end < bytes.count, bytes[end] != UInt8(ascii: "\"") { end += 1 }
            let id = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(start + idKey.count)..<end]), as: UTF8.self)
            return Int64(plan.rsvpByItemID[id] ?? -1)
        }
    }
}
