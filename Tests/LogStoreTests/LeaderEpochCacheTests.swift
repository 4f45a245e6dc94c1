import Foundation
import Testing
@testable import LogStore

@Suite struct LeaderEpochCacheTests {
    @Test func endOffsetSemantics() throws {
        var cache = LeaderEpochCache(path: nil)
        try cache.assign(epoch: 1, startOffset: 0)
        try cache.assign(epoch: 3, startOffset: 10)
        try cache.assign(epoch: 5, startOffset: 20)
        #expect(cache.endOffset(for: 5, logEndOffset: 30) == (5, 30))
        #expect(cache.endOffset(for: 4, logEndOffset: 30) == (3, 20))
        #expect(cache.endOffset(for: 3, logEndOffset: 30) == (3, 20))
        #expect(cache.endOffset(for: 1, logEndOffset: 30) == (1, 10))
        #expect(cache.endOffset(for: 0, logEndOffset: 30) == (-1, -1))
        #expect(cache.endOffset(for: 7, logEndOffset: 30) == (5, 30))
    }

    @Test func olderEpochsAreIgnoredAndOverlapsReplaced() throws {
        var cache = LeaderEpochCache(path: nil)
        try cache.assign(epoch: 2, startOffset: 5)
        try cache.assign(epoch: 1, startOffset: 9)
        #expect(cache.entries == [.init(epoch: 2, startOffset: 5)])
        try cache.assign(epoch: 4, startOffset: 5)
        #expect(cache.entries == [.init(epoch: 4, startOffset: 5)])
    }

    @Test func truncationFromBothEnds() throws {
        var cache = LeaderEpochCache(path: nil)
        try cache.assign(epoch: 1, startOffset: 0)
        try cache.assign(epoch: 2, startOffset: 10)
        try cache.assign(epoch: 3, startOffset: 20)
        try cache.truncateFromEnd(endOffset: 20)
        #expect(cache.entries.map(\.epoch) == [1, 2])
        try cache.truncateFromStart(startOffset: 12)
        #expect(cache.entries == [.init(epoch: 2, startOffset: 12)])
    }

    @Test func persistsAcrossReopen() throws {
        let dir = TemporaryDirectory()
        let path = dir.path + "/leader-epoch-checkpoint"
        var cache = LeaderEpochCache(path: path)
        try cache.assign(epoch: 7, startOffset: 100)
        try cache.assign(epoch: 9, startOffset: 250)
        #expect(AtomicFile.read(path) == "0\n2\n7 100\n9 250\n")
        #expect(LeaderEpochCache.load(path: path).entries == cache.entries)
    }
}

@Suite struct LogDirectoryTests {
    @Test func parsesTopicNamesWithDashes() {
        #expect(LogDirectory.parse("my-topic-12")?.topic == "my-topic")
        #expect(LogDirectory.parse("my-topic-12")?.partition == 12)
        #expect(LogDirectory.parse("nodash") == nil)
        #expect(LogDirectory.parse("t-x") == nil)
    }
}
