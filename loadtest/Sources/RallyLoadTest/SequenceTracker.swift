/// Exact loss, duplicate and reordering counts for one ordered stream (one publisher → one receiver).
///
/// Keeps the next expected sequence number and the set of numbers skipped so far (empty in a healthy
/// run, so memory stays tiny). A skipped number that arrives later counts as out of order; a number
/// below `next` that is not in the skipped set is a duplicate; whatever is still missing at the end,
/// given how many were sent, is lost.
struct SequenceTracker: Sendable {
    private(set) var next = 0
    private(set) var received = 0
    private(set) var duplicated = 0
    private(set) var outOfOrder = 0
    private var skipped = Set<Int>()
    /// Highest sequence number seen (-1 before the first), for the publisher's in-flight window.
    private(set) var highest = -1

    mutating func record(_ seq: Int) {
        received += 1
        if seq > highest { highest = seq }
        if seq == next {
            next += 1
        } else if seq > next {
            if seq - next <= 1_000_000 { skipped.formUnion(next..<seq) }
            next = seq + 1
        } else if skipped.remove(seq) != nil {
            outOfOrder += 1
        } else {
            duplicated += 1
        }
    }

    /// Messages never received out of `sent` (numbered 0..<sent).
    func lost(sent: Int) -> Int {
        skipped.count + max(0, sent - next)
    }
}
