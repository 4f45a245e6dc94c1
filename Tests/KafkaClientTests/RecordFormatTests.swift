@testable import KafkaClient
import KafkaProtocol
import NIOCore
import Testing

@Suite struct RecordFormatTests {
    static let record = ConsumedRecord(offset: 42, timestampMs: 1_700_000_000_123, key: ByteBuffer(string: "k%s"),
                                       value: ByteBuffer(string: "v%k"), headers: [.init(key: "a", value: ByteBuffer(string: "1")),
                                                                                  .init(key: "b", value: nil)])

    static func render(_ format: String, _ record: ConsumedRecord = record) throws -> String {
        try RecordFormat(format).render(record, topic: "orders", partition: 3)
    }

    @Test func everyTokenAsKcatPrintsIt() throws {
        #expect(try Self.render("%t %p %o %k %s %K %S %T %h") == "orders 3 42 k%s v%k 3 3 1700000000123 a=1,b=")
    }

    /// kcat interprets escapes and adds nothing: a newline only where the format says so.
    @Test func escapesAreInterpretedAndNothingIsAdded() throws {
        #expect(try Self.render("%p\\t%o\\n") == "3\t42\n")
        #expect(try Self.render("%s") == "v%k")
        #expect(try Self.render("100%% \\\\ \\q") == "100% \\ \\q")
        #expect(RecordFormat.values.render(Self.record, topic: "t", partition: 0) == "v%k\n")
    }

    @Test func nullKeyAndValueAreEmptyWithSizeMinusOne() throws {
        let null = ConsumedRecord(offset: 0, timestampMs: 0, key: nil, value: nil)
        #expect(try Self.render("[%k][%s] %K %S", null) == "[][] -1 -1")
    }

    @Test func anUnknownTokenOrALonePercentIsRefusedByName() {
        #expect(throws: RecordFormat.ParseError(description: "unknown format token '%x' (known: %t %p %o %k %s %K %S %T %h %%)")) {
            try RecordFormat("%x")
        }
        #expect(throws: RecordFormat.ParseError(description: "format ends with a lone '%'")) { try RecordFormat("%s %") }
    }
}
