@testable import RallyHub
import NIOPosix
import XCTest

/// The admin dashboard's view of the topic table: totals over every shard and the busiest topics.
final class TopicSummaryTests: XCTestCase {
    func testKeepsTheBusiestInOrderWithinTheLimit() {
        var list: [TopicSummary.Entry] = []
        for (topic, count) in [("a", 1), ("b", 5), ("c", 3), ("d", 5), ("e", 0)] {
            TopicSummary.insert(.init(topic: topic, subscribers: count, presences: 0), into: &list, limit: 3)
        }
        XCTAssertEqual(list.map(\.topic), ["b", "d", "c"])
        var total = TopicSummary()
        var part = TopicSummary()
        part.topics = 2
        part.subscriptions = 7
        part.busiest = [.init(topic: "z", subscribers: 4, presences: 1)]
        total.merge(part, limit: 1)
        total.merge(part, limit: 1)
        XCTAssertEqual(total.topics, 4)
        XCTAssertEqual(total.subscriptions, 14)
        XCTAssertEqual(total.busiest.map(\.subscribers), [4])
    }

    func testAnEmptyHubSummarisesToNothing() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        defer { try? group.syncShutdownGracefully() }
        let hub = Hub(group: group, shardsPerLoop: 4)
        let summary = try hub.summary(top: 5).wait()
        XCTAssertEqual(summary, TopicSummary())
    }
}
