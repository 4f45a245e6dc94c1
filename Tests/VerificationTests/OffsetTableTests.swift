import Testing
@testable import Verification

/// The index's table of what was first seen at each offset: dense arrays per partition, with a
/// dictionary for offsets outside them; every place inserted is found again, no other is.
@Suite struct OffsetTableTests {
    func place(_ partition: Int32, _ offset: Int64) -> PartitionOffset { PartitionOffset(partition: partition, offset: offset) }
    func seen(_ value: Int32) -> Observation { Observation(value: value, position: value * 10) }

    @Test func denseOffsetsAreFoundAndGapsAreNot() {
        var table = OffsetTable()
        for offset in Int64(0)..<100 where offset % 3 != 0 { table.insert(seen(Int32(offset)), at: place(0, offset)) }
        for offset in Int64(0)..<100 {
            #expect(table[place(0, offset)] == (offset % 3 == 0 ? nil : seen(Int32(offset))))
        }
        #expect(table[place(0, 100)] == nil)
        #expect(table[place(1, 1)] == nil)
    }

    @Test func offsetsBelowTheFirstOrFarBeyondTheEndAreKeptToo() {
        var table = OffsetTable()
        let places = [place(2, 500), place(2, 10), place(2, 501), place(2, 500 + 50_000_000), place(2, 499), place(0, 7),
                      place(2, 502 + OffsetTable.minimumGap)]
        for (number, place) in places.enumerated() { table.insert(seen(Int32(number)), at: place) }
        for (number, place) in places.enumerated() { #expect(table[place] == seen(Int32(number)), "\(place)") }
        #expect(table[place(2, 11)] == nil)
        #expect(table[place(2, 502)] == nil)
        #expect(table[place(0, 6)] == nil)
        #expect(table[place(1, 7)] == nil)
    }

    /// A place first stored outside a partition's array is still found once the array has grown
    /// over it.
    @Test func aSparsePlaceIsFoundAfterTheArrayGrowsPastIt() {
        var table = OffsetTable()
        table.insert(seen(0), at: place(0, 0))
        let far = OffsetTable.minimumGap + 10
        table.insert(seen(1), at: place(0, far))
        for offset in 1..<far { table.insert(seen(2), at: place(0, offset)) }
        table.insert(seen(3), at: place(0, far + 1))
        #expect(table[place(0, far)] == seen(1))
        #expect(table[place(0, far + 1)] == seen(3))
        #expect(table[place(0, far - 1)] == seen(2))
    }
}
