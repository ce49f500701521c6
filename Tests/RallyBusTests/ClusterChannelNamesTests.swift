import RallyBus
import RallyBusRedis
import RallyRedis
import XCTest

/// Every node must compute the same names: the partition table and the hash are pinned here.
final class ClusterChannelNamesTests: XCTestCase {
    func testFNV1a64MatchesTheReferenceVectors() {
        XCTAssertEqual(PartitionTags.fnv1a64("".utf8), 0xcbf2_9ce4_8422_2325)
        XCTAssertEqual(PartitionTags.fnv1a64("a".utf8), 0xaf63_dc4c_8601_ec8c)
        XCTAssertEqual(PartitionTags.fnv1a64("foobar".utf8), 0x8594_4171_f739_67e8)
    }

    func testEachTagHasItsEvenlySpacedSlot() throws {
        for count in [1, 3, 16, 128, 1000] {
            let tags = try PartitionTags(count: count)
            XCTAssertEqual(tags.count, count)
            XCTAssertEqual(Set(tags.table).count, count, "distinct tags")
            for (partition, tag) in tags.table.enumerated() {
                XCTAssertFalse(tag.isEmpty)
                XCTAssertEqual(RedisKeySlot.slot(of: tag), PartitionTags.targetSlot(of: partition, count: count))
                XCTAssertEqual(RedisKeySlot.slot(of: "rally:{\(tag)}:t:anything"), RedisKeySlot.slot(of: tag))
            }
        }
    }

    func testTheTableIsDeterministicAndPinned() throws {
        let tags = try PartitionTags(count: 128)
        XCTAssertEqual(tags, try PartitionTags(count: 128))
        XCTAssertEqual(Array(tags.table.prefix(4)), ["1bz", "53t", "nbd", "j3j"])
        XCTAssertEqual(tags.table.last, "802")
        XCTAssertThrowsError(try PartitionTags(count: 0))
        XCTAssertThrowsError(try PartitionTags(count: 16385))
    }

    func testNamesRoundTrip() throws {
        let names = try ClusterChannelNames()
        let channels: [BusChannel] = [.control, .ingress, .node(0xabc), .node(.max), .topic("realtime:room-1"),
                                      .topic("realtime:{odd}:name}"), .topic("")]
        for channel in channels {
            XCTAssertEqual(names.channel(named: names.name(of: channel)), channel, names.name(of: channel))
        }
        XCTAssertEqual(names.name(of: .control), "rally:{ctl}:ctl")
        XCTAssertEqual(names.name(of: .ingress), "rally:{in}:in")
        let partition = Int(PartitionTags.fnv1a64("realtime:room-1".utf8) % 128)
        XCTAssertEqual(names.name(of: .topic("realtime:room-1")),
                       "rally:{\(names.tags.table[partition])}:t:realtime:room-1")
        XCTAssertNil(names.channel(named: "rally:t:realtime:room-1"), "a standalone name is not a cluster name")
        XCTAssertNil(names.channel(named: "rally:{x}:zz"))
    }

    func testTopicsSpreadOverThePartitions() throws {
        let tags = try PartitionTags(count: 16)
        var counts = [Int](repeating: 0, count: 16)
        for index in 0..<1600 { counts[tags.partition(of: "realtime:room-\(index)")] += 1 }
        XCTAssertTrue(counts.allSatisfy { (50...150).contains($0) }, "\(counts)")
    }
}
