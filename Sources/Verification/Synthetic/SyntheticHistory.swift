import Foundation

/// Writes a large, clean history — producers, consumers, a final read — for measuring the
/// checkers' speed and memory. Every send is acknowledged and read, so every check on it is
/// valid (single-leader aside: the history has no timeline).
public struct SyntheticHistory: Sendable {
    public var sends: Int
    public var partitions: Int
    public var producers: Int
    public var consumers: Int
    /// Records per consumer poll.
    public var recordsPerPoll: Int
    /// Records per final-read poll.
    public var recordsPerFinalRead: Int
    public var topic: String

    public init(
        sends: Int, partitions: Int = 8, producers: Int = 4, consumers: Int = 4, recordsPerPoll: Int = 4,
        recordsPerFinalRead: Int = 1000, topic: String = "bench"
    ) {
        precondition(sends >= 0 && partitions > 0 && producers > 0 && consumers > 0, "counts must be positive")
        precondition(recordsPerPoll > 0 && recordsPerFinalRead > 0, "batch sizes must be positive")
        self.sends = sends
        self.partitions = partitions
        self.producers = producers
        self.consumers = consumers
        self.recordsPerPoll = recordsPerPoll
        self.recordsPerFinalRead = recordsPerFinalRead
        self.topic = topic
    }

    /// Writes `history.jsonl` and returns the number of operations (invoke/completion pairs).
    @discardableResult
    public func write(to path: String) throws -> Int {
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path)
        else { throw CocoaError(.fileWriteUnknown) }
        defer { try? handle.close() }
        var writer = Writer(handle: handle)
        var offsets = [Int64](repeating: 0, count: partitions)
        var log: [[Int64]] = Array(repeating: [], count: partitions)
        // Producers send round-robin over partitions; consumers poll each partition as it fills.
        var polled = [Int](repeating: 0, count: partitions)
        for number in 0..<sends {
            let partition = number % partitions
            let process = "producer-\(number % producers)"
            let value = "v\(number)"
            try writer.line(process, "invoke", "send", "{\"topic\":\"\(topic)\",\"value\":\"\(value)\"}")
            let offset = offsets[partition]
            offsets[partition] += 1
            log[partition].append(Int64(number))
            try writer.line(
                process, "ok", "send",
                "{\"topic\":\"\(topic)\",\"value\":\"\(value)\",\"partition\":\(partition),\"offset\":\(offset),\"broker\":1,\"leader_epoch\":1}")
            if log[partition].count - polled[partition] >= recordsPerPoll {
                let from = polled[partition]
                try writer.poll("consumer-\(partition % consumers)", "poll", partition: partition, from: from, count: recordsPerPoll, log: log[partition], topic: topic)
                polled[partition] += recordsPerPoll
            }
        }
        for partition in 0..<partitions {
            var from = 0
            while from < log[partition].count {
                let count = min(recordsPerFinalRead, log[partition].count - from)
                try writer.poll("final-reader", "final_read", partition: partition, from: from, count: count, log: log[partition], topic: topic)
                from += count
            }
        }
        try writer.flush()
        return writer.index / 2
    }

    private struct Writer {
        let handle: FileHandle
        var buffer = ""
        var index = 0

        init(handle: FileHandle) {
            self.handle = handle
            buffer.reserveCapacity(1 << 20)
        }

        mutating func line(_ process: String, _ type: String, _ f: String, _ value: String) throws {
            buffer += "{\"index\":\(index),\"time_ns\":\(Int64(index) * 10_000),\"process\":\"\(process)\",\"type\":\"\(type)\",\"f\":\"\(f)\",\"value\":\(value),\"error\":null}\n"
            index += 1
            if buffer.utf8.count >= 1 << 20 { try flush() }
        }

        mutating func poll(_ process: String, _ f: String, partition: Int, from: Int, count: Int, log: [Int64], topic: String) throws {
            try line(process, "invoke", f, "null")
            var records: [String] = []
            records.reserveCapacity(count)
            for offset in from..<(from + count) {
                records.append("{\"topic\":\"\(topic)\",\"partition\":\(partition),\"offset\":\(offset),\"value\":\"v\(log[offset])\"}")
            }
            try line(process, "ok", f, "{\"records\":[\(records.joined(separator: ","))]}")
        }

        mutating func flush() throws {
            try handle.write(contentsOf: Data(buffer.utf8))
            buffer.removeAll(keepingCapacity: true)
        }
    }
}
