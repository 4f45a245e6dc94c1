import KafkaProtocol
import Testing
@testable import Replication

@Suite struct PartitionTransactionsTests {
    @Test func lastStableOffsetStopsAtTheEarliestOpenTransaction() {
        var partition = PartitionTransactions()
        #expect(partition.lastStableOffset(highWatermark: 5) == 5, "without transactions the LSO is the high watermark")
        partition.recordData(producerId: 1, firstOffset: 5)
        partition.recordData(producerId: 2, firstOffset: 7)
        partition.recordData(producerId: 1, firstOffset: 8)
        #expect(partition.ongoing == [1: 5, 2: 7])
        #expect(partition.lastStableOffset(highWatermark: 9) == 5)
        #expect(partition.lastStableOffset(highWatermark: 3) == 3, "never above the high watermark")
        partition.recordMarker(producerId: 1, epoch: 0, coordinatorEpoch: 0, committed: true, offset: 9)
        #expect(partition.lastStableOffset(highWatermark: 9) == 5, "unstable until the marker is below the high watermark")
        #expect(partition.lastStableOffset(highWatermark: 10) == 7)
        partition.recordMarker(producerId: 2, epoch: 0, coordinatorEpoch: 0, committed: false, offset: 10)
        #expect(partition.lastStableOffset(highWatermark: 11) == 11)
    }

    @Test func abortedTransactionsOverlappingTheFetchRangeAreReturned() {
        var partition = PartitionTransactions()
        partition.recordData(producerId: 1, firstOffset: 0)
        partition.recordMarker(producerId: 1, epoch: 0, coordinatorEpoch: 0, committed: false, offset: 2)
        partition.recordData(producerId: 2, firstOffset: 3)
        partition.recordMarker(producerId: 2, epoch: 0, coordinatorEpoch: 0, committed: true, offset: 4)
        partition.recordData(producerId: 1, firstOffset: 5)
        partition.recordMarker(producerId: 1, epoch: 0, coordinatorEpoch: 0, committed: false, offset: 7)
        let all = partition.abortedTransactions(from: 0, upTo: 8)
        #expect(all.map(\.firstOffset) == [0, 5] && all.map(\.producerId) == [1, 1])
        #expect(partition.abortedTransactions(from: 3, upTo: 8).map(\.firstOffset) == [5])
        #expect(partition.abortedTransactions(from: 0, upTo: 5).map(\.firstOffset) == [0])
        #expect(partition.abortedTransactions(from: 8, upTo: 20).isEmpty)
    }

    @Test func markerWithoutDataHereIndexesNothing() {
        var partition = PartitionTransactions()
        partition.recordMarker(producerId: 4, epoch: 1, coordinatorEpoch: 0, committed: false, offset: 0)
        #expect(partition.aborted.isEmpty && partition.lastStableOffset(highWatermark: 1) == 1)
    }

    @Test func markerEpochFencesOlderTransactionalBatches() {
        var partition = PartitionTransactions()
        #expect(partition.check(producerId: 1, epoch: 0) == .append)
        partition.recordMarker(producerId: 1, epoch: 2, coordinatorEpoch: 0, committed: false, offset: 0)
        guard case .reject(let code, _) = partition.check(producerId: 1, epoch: 1) else { Issue.record("zombie batch accepted"); return }
        #expect(code == .invalidProducerEpoch)
        #expect(partition.check(producerId: 1, epoch: 2) == .append)
        #expect(partition.check(producerId: 3, epoch: 0) == .append)
    }

    @Test func replayRebuildsFromBatchHeadersAndMarkers() {
        var partition = PartitionTransactions()
        let data = RecordBatchHeader(baseOffset: 10, attributes: TransactionMarker.transactionalAttribute, producerId: 9, producerEpoch: 0, baseSequence: 0)
        let marker = RecordBatchHeader(baseOffset: 12, attributes: TransactionMarker.controlAttributes, producerId: 9, producerEpoch: 0)
        let plain = RecordBatchHeader(baseOffset: 13, producerId: 8, producerEpoch: 0, baseSequence: 0)
        partition.replay(data, marker: nil)
        partition.replay(plain, marker: nil)
        #expect(partition.ongoing == [9: 10])
        partition.replay(marker, marker: TransactionMarker(type: .abort, coordinatorEpoch: 3))
        #expect(partition.ongoing.isEmpty && partition.aborted == [.init(producerId: 9, firstOffset: 10, lastOffset: 12)])
        #expect(partition.coordinatorEpochs == [9: 3])
    }

    @Test func markerFromAnOlderCoordinatorEpochIsFenced() {
        var partition = PartitionTransactions()
        #expect(partition.checkMarker(producerId: 1, coordinatorEpoch: 0) == .append)
        partition.recordMarker(producerId: 1, epoch: 0, coordinatorEpoch: 5, committed: true, offset: 0)
        guard case .reject(let code, _) = partition.checkMarker(producerId: 1, coordinatorEpoch: 4) else {
            Issue.record("a zombie coordinator's marker was accepted"); return
        }
        #expect(code == .transactionCoordinatorFenced)
        #expect(partition.checkMarker(producerId: 1, coordinatorEpoch: 5) == .append)
        #expect(partition.checkMarker(producerId: 1, coordinatorEpoch: 6) == .append)
        #expect(partition.checkMarker(producerId: 2, coordinatorEpoch: 0) == .append)
    }

    @Test func truncationAndRetentionForgetState() {
        var partition = PartitionTransactions()
        partition.recordData(producerId: 1, firstOffset: 0)
        partition.recordMarker(producerId: 1, epoch: 0, coordinatorEpoch: 0, committed: false, offset: 3)
        partition.recordData(producerId: 2, firstOffset: 4)
        partition.recordData(producerId: 3, firstOffset: 6)
        partition.truncate(to: 5)
        #expect(partition.ongoing == [2: 4] && partition.aborted.count == 1)
        partition.truncate(to: 3)
        #expect(partition.ongoing.isEmpty && partition.aborted.isEmpty)
        partition.recordData(producerId: 1, firstOffset: 3)
        partition.recordMarker(producerId: 1, epoch: 0, coordinatorEpoch: 0, committed: false, offset: 4)
        partition.advanceLogStart(to: 5)
        #expect(partition.aborted.isEmpty)
    }
}
