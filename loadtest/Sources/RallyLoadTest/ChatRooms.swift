import NIOCore
import RallyClient

/// The chat rooms of one generator process: R rooms × K members, each member a connection that
/// both talks (stamped messages with its index as `from`) and listens to every other member.
/// Each event loop owns the members placed on it; a member's receive streams are its K senders.
final class ChatRooms: Sendable {
    /// One member's fixed placement.
    struct Seat: Sendable {
        var room: Int
        var member: Int
        var loop: Int
        /// First of the member's K stream slots in its loop's recorder (slot + sender = that sender's stream).
        var firstSlot: Int
    }

    let target: ClientTarget
    let topicPrefix: String
    let rooms: Range<Int>
    let members: Int
    let seats: [Seat]
    /// Rooms are Rally groups stored in Postgres (`chat --durable`): members hear themselves too.
    let durable: DurableChat?
    private let recorders: [DeliveryRecorder]
    private let talkers: [ChatTalker]
    private let clients = Locked<[LoadClient?]>([])

    init(
        target: ClientTarget, topicPrefix: String, rooms: Range<Int>, members: Int, group: EventLoopGroup, epoch: UInt64,
        durable: DurableChat? = nil
    ) async throws {
        self.target = target
        self.durable = durable
        self.topicPrefix = topicPrefix
        self.rooms = rooms
        self.members = members
        let loops = Array(group.makeIterator())
        recorders = loops.map { DeliveryRecorder(eventLoop: $0, epoch: epoch) }
        var seats: [Seat] = []
        for room in rooms {
            for member in 0..<members {
                let loop = seats.count % loops.count
                let recorder = recorders[loop]
                let first = try await recorder.eventLoop.submit { recorder.addStreams(members) }.get()
                if durable == nil {
                    try await recorder.eventLoop.submit { recorder.deactivate(slots: first + member..<first + member + 1) }.get()
                }
                seats.append(Seat(room: room, member: member, loop: loop, firstSlot: first))
            }
        }
        self.seats = seats
        talkers = loops.map { ChatTalker(eventLoop: $0, durable: durable != nil) }
    }

    func topic(ofRoom room: Int) -> String { durable?.topic(ofRoom: room) ?? "\(topicPrefix)\(room)" }

    /// Connects (and, in Rally mode, joins) every member.
    func connect(concurrency: Int, deadline: UInt64) async -> ConnectionStats {
        let (opened, stats) = await ConnectionPool.connectAll(count: seats.count, concurrency: concurrency, deadline: deadline) {
            [self] index in
            let seat = seats[index]
            let recorder = recorders[seat.loop]
            return target.connect(
                index: rooms.lowerBound * members + index, topic: topic(ofRoom: seat.room),
                token: durable?.token(room: seat.room, member: seat.member), requireStoredID: durable != nil,
                on: recorder.eventLoop,
                onStamp: { stamp in
                    let hearsSelf = self.durable != nil
                    guard let from = stamp.from, hearsSelf || from != seat.member, from < self.members else {
                        return recorder.recordUnstamped()
                    }
                    recorder.record(slot: seat.firstSlot + from, stamp: stamp)
                }, onOther: { recorder.recordUnstamped() })
        }
        for (index, client) in opened.enumerated() where client == nil {
            let seat = seats[index]
            let recorder = recorders[seat.loop]
            try? await recorder.eventLoop.submit { recorder.deactivate(slots: seat.firstSlot..<seat.firstSlot + self.members) }.get()
        }
        clients.withValue { $0 = opened }
        for (index, client) in opened.enumerated() {
            guard let client else { continue }
            let talker = talkers[seats[index].loop]
            try? await talker.eventLoop.submit { talker.add(client: client, member: self.seats[index].member, seat: index) }.get()
        }
        return stats
    }

    /// Every member sends `rate` messages/s until it sent `perMember` or `deadline` passed.
    func talk(rate: Double, perMember: Int, payloadSize: Int, deadline: UInt64) async {
        await withTaskGroup(of: Void.self) { group in
            for talker in talkers {
                group.addTask { await talker.talk(rate: rate, perMember: perMember, payloadSize: payloadSize, deadline: deadline) }
            }
        }
    }

    /// Messages each seat sent (by seat index).
    func sentBySeat() async -> [Int] {
        var sent = [Int](repeating: 0, count: seats.count)
        for talker in talkers {
            let part = (try? await talker.eventLoop.submit { talker.sentBySeat() }.get()) ?? [:]
            for (seat, count) in part { sent[seat] = count }
        }
        return sent
    }

    /// Waits until every stream has seen its sender's last message, or `deadline`.
    func waitUntilDelivered(sent: [Int], deadline: UInt64) async {
        let senders = senderTables()
        while MonotonicClock.now() < deadline {
            var done = true
            for (loop, recorder) in recorders.enumerated() where done {
                let table = senders[loop]
                done = (try? await recorder.eventLoop.submit { recorder.caughtUp(sent: { sent[table[$0] ?? 0] }) }.get()) ?? false
            }
            if done { return }
            try? await Task.sleep(nanoseconds: 5_000_000)
        }
    }

    /// Merged counts; each (receiver, sender) stream expects what that sender sent.
    func summary(sent: [Int]) async -> DeliveryStats {
        let senders = senderTables()
        var total = DeliveryStats()
        for (loop, recorder) in recorders.enumerated() {
            let table = senders[loop]
            if let part = try? await recorder.eventLoop.submit({ recorder.summary(sent: { sent[table[$0] ?? 0] }) }).get() {
                total.merge(part)
            }
        }
        return total
    }

    /// For each loop: stream slot → seat index of the sender of that stream.
    private func senderTables() -> [[Int: Int]] {
        var tables = [[Int: Int]](repeating: [:], count: recorders.count)
        for (seatIndex, seat) in seats.enumerated() {
            for sender in 0..<members { tables[seat.loop][seat.firstSlot + sender] = seatIndex - seat.member + sender }
        }
        return tables
    }

    /// Durable chat writes Rally refused, over all talkers.
    func rejections() async -> ChatRejections {
        var total = ChatRejections()
        for talker in talkers {
            if let part = try? await talker.eventLoop.submit({ talker.rejections }).get() { total.merge(part) }
        }
        return total
    }

    var disconnected: Int { clients.current.compactMap { $0 }.filter { !$0.socket.isActive }.count }

    func closeAll(concurrency: Int) async {
        await ConnectionPool.closeAll(clients.current.compactMap { $0 }, concurrency: concurrency)
    }
}
