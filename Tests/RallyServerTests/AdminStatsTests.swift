@testable import RallyServer
import RallyProtocol
import XCTest

/// The admin snapshot's arithmetic without a node: reading the Prometheus text, rates and percentiles.
final class AdminStatsTests: XCTestCase {
    static let text = """
        # HELP rally_rejections_total
        # TYPE rally_rejections_total counter
        rally_rejections_total{reason="join_rate"} 3
        rally_rejections_total{reason="payload_size"} 1
        rally_messages_in_total 10
        rally_fanout_seconds_bucket{le="0.0001"} 50
        rally_fanout_seconds_bucket{le="0.001"} 90
        rally_fanout_seconds_bucket{le="+Inf"} 100
        rally_fanout_seconds_count 100
        rally_odd{label="a \\"quoted\\" value",other="x"} 2.5
        not a sample line
        """

    func testReadsCountersLabelsAndBuckets() {
        let reading = AdminMetricsReading(prometheusText: Self.text)
        XCTAssertEqual(reading.total("rally_rejections_total"), 4)
        XCTAssertEqual(reading.byLabel("rally_rejections_total", "reason"), ["join_rate": 3, "payload_size": 1])
        XCTAssertEqual(reading.total("rally_messages_in_total"), 10)
        XCTAssertEqual(reading.total("rally_absent_total"), 0)
        XCTAssertEqual(reading.byLabel("rally_odd", "label"), ["a \"quoted\" value": 2.5])
        XCTAssertEqual(reading.buckets("rally_fanout_seconds").map(\.count), [50, 90, 100])
        XCTAssertEqual(reading.buckets("rally_fanout_seconds").last?.bound, .infinity)
    }

    func testRatesArePerSecondBetweenReadingsAndNeverNegative() {
        let before = AdminMetricsReading(prometheusText: Self.text)
        let after = AdminMetricsReading(prometheusText: Self.text
            .replacingOccurrences(of: "rally_messages_in_total 10", with: "rally_messages_in_total 30")
            .replacingOccurrences(of: "reason=\"join_rate\"} 3", with: "reason=\"join_rate\"} 1"))
        let interval = AdminInterval(before: before, after: after, seconds: 2)
        XCTAssertEqual(interval.rate("rally_messages_in_total"), 10)
        XCTAssertEqual(interval.rate("rally_rejections_total"), 0, "a counter that went back counts as no change")
        let first = AdminInterval(before: nil, after: after, seconds: 0)
        XCTAssertEqual(first.rate("rally_messages_in_total"), 0)
        let rows = interval.breakdown("rally_rejections_total", by: "reason")
        XCTAssertEqual(rows.map(\.key), ["join_rate", "payload_size"], "equal totals: by name")
    }

    func testPercentilesInterpolateInsideTheBucketOfTheInterval() throws {
        let reading = AdminMetricsReading(prometheusText: Self.text)
        let whole = AdminInterval(before: nil, after: reading, seconds: 0)
        let quantiles = try XCTUnwrap(whole.quantiles("rally_fanout_seconds", [0.5, 0.7, 0.99]))
        XCTAssertEqual(quantiles[0], 0.0001, accuracy: 1e-12)          // 50th of 100: the first bucket's bound
        XCTAssertEqual(quantiles[1], 0.0001 + 0.0009 * 0.5, accuracy: 1e-12)  // halfway through the second
        XCTAssertEqual(quantiles[2], 0.001, accuracy: 1e-12)           // past the last finite bound: that bound
        XCTAssertNil(AdminInterval(before: reading, after: reading, seconds: 1).quantiles("rally_fanout_seconds", [0.5]),
                     "nothing observed in the interval")
    }

    func testNumbersAreFiniteAndShort() {
        XCTAssertEqual(AdminSnapshot.number(.nan, decimals: 1), .number("0"))
        XCTAssertEqual(AdminSnapshot.number(2.50, decimals: 3), .number("2.5"))
        XCTAssertEqual(AdminSnapshot.number(3.0, decimals: 1), .number("3"))
        XCTAssertEqual(AdminSnapshot.number(1234.6, decimals: 0), .number("1235"))
    }
}
