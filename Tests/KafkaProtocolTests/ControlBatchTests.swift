import NIOCore
import Testing
@testable import KafkaProtocol

@Suite struct ControlBatchTests {
    @Test func markerBatchIsAValidControlBatchThatDecodesBack() throws {
        for type in ControlRecordType.allCases {
            let marker = TransactionMarker(type: type, coordinatorEpoch: 7)
            let batch = marker.batch(producerId: 4000, producerEpoch: 3, timestampMs: 1_700_000_000_000)
            let header = try RecordBatches.validate(batch)
            #expect(header.isControl && header.isTransactional && header.compression == .none)
            #expect(header.producerId == 4000 && header.producerEpoch == 3 && header.baseSequence == -1 && header.recordsCount == 1)
            #expect(try TransactionMarker.decode(batch: batch) == marker)
            #expect(try RecordBatches.records(of: .init(header: header, bytes: batch)).isEmpty, "consumers never see control records")
        }
    }

    @Test func markerKeyAndValueBytesAreKafkas() {
        let marker = TransactionMarker(type: .commit, coordinatorEpoch: 0x0102_0304)
        #expect(Array(marker.key.readableBytesView) == [0, 0, 0, 1])
        #expect(Array(marker.value.readableBytesView) == [0, 0, 1, 2, 3, 4])
        #expect(Array(TransactionMarker(type: .abort, coordinatorEpoch: 0).key.readableBytesView) == [0, 0, 0, 0])
    }

    @Test func dataBatchIsNoMarkerAndBadKeysAreRefused() throws {
        #expect(try TransactionMarker.decode(batch: records("v")) == nil)
        #expect(try TransactionMarker.type(ofKey: ByteBuffer(bytes: [0, 0, 0, 2])) == nil, "a leader-change record is not a marker")
        #expect(throws: ProtocolError.self) { try TransactionMarker.type(ofKey: ByteBuffer(bytes: [0, 0, 0])) }
        #expect(throws: ProtocolError.self) { try TransactionMarker.type(ofKey: ByteBuffer(bytes: [0, 1, 0, 0])) }
    }
}
