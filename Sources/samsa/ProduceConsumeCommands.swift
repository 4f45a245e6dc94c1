import ArgumentParser
import Foundation
import Lab
import KafkaClient
import KafkaProtocol

struct ProduceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "produce",
        abstract: "Produce records (as kcat -P): one per stdin line, or --count generated ones.",
        discussion: "With -K a delimiter, each line is key<delimiter>value. Prints one line per record: partition and offset."
    )
    @OptionGroup var client: ClientOptions
    @Argument(help: "Topic.") var topic: String
    @Option(name: .long, help: "Generate this many records (value-prefix-N) instead of reading stdin.") var count: Int?
    @Option(name: .long, help: "Prefix of generated values.") var valuePrefix: String = "record"
    @Option(name: .customShort("K"), help: "Key delimiter in input lines.") var keyDelimiter: String?
    @Option(name: .long, help: "Send every record to this partition.") var partition: Int32?
    @Option(name: .long, help: "acks: 0, 1 or all.") var acks: String = "all"
    @Option(name: [.customShort("z"), .long], help: "Compress batches: none, gzip, snappy, lz4 or zstd (as kcat -z).") var compression: String = "none"
    @Flag(name: .long, help: "Print nothing per record, only a summary.") var quiet = false
    @Flag(name: .long, help: "Let the broker auto-create the topic if it does not exist (otherwise an unknown topic is an error).") var createTopic = false

    /// kcat's and Kafka's codec names.
    static let codecs: [String: CompressionCodec] = ["none": .none, "gzip": .gzip, "snappy": .snappy, "lz4": .lz4, "zstd": .zstd]

    func validate() throws {
        guard ["0", "1", "all", "-1"].contains(acks) else { throw ValidationError("--acks must be 0, 1 or all") }
        guard Self.codecs[compression] != nil else { throw ValidationError("--compression must be none, gzip, snappy, lz4 or zstd, not '\(compression)'") }
        if let count, count <= 0 || count > 10_000_000 { throw ValidationError("--count must be between 1 and 10000000") }
    }

    func run() async throws {
        var records: [SimpleProducer.Record] = []
        if let count {
            records = (0..<count).map { SimpleProducer.Record(key: nil, value: Array("\(valuePrefix)-\($0)".utf8), partition: partition) }
        } else {
            while let line = readLine(strippingNewline: true) {
                if let delimiter = keyDelimiter, let range = line.range(of: delimiter) {
                    records.append(.init(key: Array(line[..<range.lowerBound].utf8), value: Array(line[range.upperBound...].utf8), partition: partition))
                } else {
                    records.append(.init(key: nil, value: Array(line.utf8), partition: partition))
                }
            }
        }
        let acksValue: Int16 = acks == "all" || acks == "-1" ? -1 : Int16(acks)!
        try await client.run("produce") { cluster in
            let producer = SimpleProducer(cluster: cluster, acks: acksValue, compression: Self.codecs[compression] ?? .none)
            let acked: [SimpleProducer.Ack]
            do {
                acked = try await producer.send(topic: topic, records: records, createTopic: createTopic)
            } catch KafkaClientError.unknownTopic(let name) {
                throw UnknownTopic(name: name)
            }
            if !quiet && acksValue != 0 { for ack in acked { print("\(topic)/\(ack.partition)@\(ack.offset)") } }
            StandardStreams.writeError("produced \(records.count) record(s) to \(topic)\n")
        }
    }
}

struct ConsumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consume",
        abstract: "Consume records (as kcat -C) by assignment, from every partition or one.",
        discussion: "Format (as kcat -f): %t topic, %p partition, %o offset, %k key, %s value, %K and %S their sizes, %T timestamp, %h headers, %% a percent sign; \\n \\t \\r \\\\ escapes; nothing is added, so end it with \\n for one record per line. Stops at --count, at the end with -e, or on Ctrl-C."
    )
    @OptionGroup var client: ClientOptions
    @Argument(help: "Topic.") var topic: String
    @Option(name: .long, help: "Only this partition.") var partition: Int32?
    @Option(name: .long, help: "Start: beginning, end, or an offset.") var offset: String = "beginning"
    @Option(name: .long, help: "Stop after this many records.") var count: Int?
    @Flag(name: .customShort("e"), help: "Exit when the end of every partition is reached.") var exitAtEnd = false
    @Option(name: [.customShort("f"), .long], help: "Output format, as kcat -f (default: each value and a newline).") var format: String?

    func validate() throws {
        guard offset == "beginning" || offset == "end" || Int64(offset) != nil else { throw ValidationError("--offset must be beginning, end or a number") }
        if let format {
            do { _ = try RecordFormat(format) } catch { throw ValidationError("--format: \(error)") }
        }
    }

    func run() async throws {
        let start: SimpleConsumer.Start = offset == "beginning" ? .beginning : offset == "end" ? .end : .offset(Int64(offset)!)
        let output = try format.map(RecordFormat.init) ?? RecordFormat.values
        try await client.run("consume") { cluster in
            let metadata = try await cluster.refreshMetadata(topics: [topic])
            guard let info = metadata.topics[topic], !info.partitions.isEmpty else { throw KafkaClientError.unknownTopic(topic) }
            let partitions = info.partitions.map(\.topicPartition.partition).filter { partition == nil || $0 == partition }
            guard !partitions.isEmpty else { throw KafkaClientError.broker(.unknownTopicOrPartition, "\(topic)/\(partition!)") }
            let consumer = SimpleConsumer(cluster: cluster, maxWaitMs: exitAtEnd ? 100 : 500)
            var positions: [Int32: Int64] = [:]
            for p in partitions { positions[p] = try await consumer.position(TopicPartition(topic, p), start) }
            var printed = 0
            var atEnd = Set<Int32>()
            while !Task.isCancelled {
                for p in partitions {
                    let result = try await consumer.fetch(TopicPartition(topic, p), offset: positions[p]!)
                    for record in result.records {
                        // Unbuffered, so a reader that went away (`| head -3`) ends the command at once.
                        StandardStreams.writeOutput(output.render(record, topic: topic, partition: p))
                        printed += 1
                        if let count, printed >= count { return }
                    }
                    positions[p] = result.nextOffset
                    if result.highWatermark >= 0 && positions[p]! >= result.highWatermark { atEnd.insert(p) } else { atEnd.remove(p) }
                }
                if exitAtEnd && atEnd.count == partitions.count { return }
            }
        }
    }
}

/// A produce to a topic the cluster lacks, which the CLI does not create as a side effect.
struct UnknownTopic: Error, CustomStringConvertible {
    var name: String
    var description: String { "unknown topic '\(name)' (samsa topics create \(name), or --create-topic to let the broker create it)" }
}
