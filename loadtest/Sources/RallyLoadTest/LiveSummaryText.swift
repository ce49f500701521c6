/// The summary lines of a live scenario's Postgres writer and what the subscribers made of it.
enum LiveSummaryText {
    static func render(_ live: LiveResults) -> [String] {
        var lines = [
            "commits      \(live.rowsCommitted) rows (\(SummaryText.fixed(live.commitsPerSecond))/s), "
                + "\(live.commitFailures) failed; round trip " + SummaryText.latency(live.commitRoundTrip),
        ]
        if let updates = live.updatesReceived {
            lines.append(
                "updates      \(updates) to \(live.subscribers) subscribers ("
                    + "\(SummaryText.fixed(live.updatesPerSubscriber ?? 0)) each, "
                    + "\(SummaryText.fixed(live.rowsPerUpdate ?? 0)) rows per update)")
        }
        if let newest = live.newestRowLatency { lines.append("commit→update (newest row) " + SummaryText.latency(newest)) }
        if let visible = live.rowVisibleLatency { lines.append("commit→visible (every row) " + SummaryText.latency(visible)) }
        if let expected = live.finalGoingExpected {
            lines.append(
                "final count  going \(expected) shown last to \(live.subscribersWithFinalGoing ?? 0)/\(live.subscribers) "
                    + "subscribers; \(live.updatesGoingBackwards ?? 0) updates going backwards")
        }
        if let seconds = live.setupCatchUpSeconds {
            lines.append("setup        the node worked through the setup's changes in \(SummaryText.fixed(seconds)) s before the writer started")
        }
        if live.deliveredBeforeAck > 0 {
            lines.append("note         \(live.deliveredBeforeAck) deliveries arrived before the commit was acknowledged (counted as 0 ms)")
        }
        return lines
    }
}
