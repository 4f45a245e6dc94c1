import KafkaProtocol

/// The fast path for reading history lines: the same fields, rules and defaults as the Codable
/// conformance, read with `JSONScanner`.
extension HistoryOp {
    /// Parses one line of `history.jsonl`.
    static func parse(line: UnsafeBufferPointer<UInt8>) throws -> HistoryOp {
        var scanner = JSONScanner(line)
        var index: Int?
        var timeNs: Int64?
        var process: String?
        var type: OpType?
        var f: OpFunction?
        var error: String?
        var opId: Int64?
        var value: OpValue?
        var deferredValue: Range<Int>?
        try scanner.object { scanner, key in
            if key.is("index") {
                index = try scanner.int()
            } else if key.is("time_ns") {
                timeNs = try scanner.int64()
            } else if key.is("process") {
                process = try scanner.string()
            } else if key.is("type") {
                type = try scanner.opType()
            } else if key.is("f") {
                f = try scanner.opFunction()
            } else if key.is("error") {
                error = scanner.null() ? nil : try scanner.string()
            } else if key.is("op_id") {
                opId = scanner.null() ? nil : try scanner.int64()
            } else if key.is("value") {
                // The value's shape depends on `f` and `type`; when they come later, read it after.
                if let f, let type {
                    value = try parseValue(&scanner, f: f, type: type)
                } else {
                    deferredValue = try scanner.skipValue()
                }
            } else {
                _ = try scanner.skipValue()
            }
        }
        try scanner.finish()
        guard let index else { throw JSONScanner.Failure(message: "missing field \"index\"", position: 0) }
        guard let timeNs else { throw JSONScanner.Failure(message: "missing field \"time_ns\"", position: 0) }
        guard let process else { throw JSONScanner.Failure(message: "missing field \"process\"", position: 0) }
        guard let type else { throw JSONScanner.Failure(message: "missing field \"type\"", position: 0) }
        guard let f else { throw JSONScanner.Failure(message: "missing field \"f\"", position: 0) }
        if let deferredValue {
            var inner = JSONScanner(line, range: deferredValue)
            value = try parseValue(&inner, f: f, type: type)
        }
        return HistoryOp(
            index: index, timeNs: timeNs, process: process, type: type, f: f, value: value ?? .none, error: error,
            opId: opId)
    }

    private static func parseValue(_ scanner: inout JSONScanner, f: OpFunction, type: OpType) throws -> OpValue {
        if scanner.null() { return .none }
        if f == .send { return .send(try SendValue.parse(&scanner)) }
        if f.isRead && type != .invoke { return .poll(try PollValue.parse(&scanner)) }
        if f.isAssignment { return .assignment(try AssignmentValue.parse(&scanner)) }
        return .other(try scanner.value())
    }
}

extension JSONScanner {
    /// The four types without building a string for each line.
    mutating func opType() throws -> OpType {
        if matchesString("ok") { return .ok }
        if matchesString("invoke") { return .invoke }
        if matchesString("info") { return .info }
        if matchesString("fail") { return .fail }
        let name = try string()
        throw failure("unknown type \"\(name)\"")
    }

    /// Known functions are shared constants; others are read as text.
    mutating func opFunction() throws -> OpFunction {
        if matchesString("send") { return .send }
        if matchesString("poll") { return .poll }
        if matchesString("final_read") { return .finalRead }
        if matchesString("assign") { return .assign }
        if matchesString("subscribe") { return .subscribe }
        return OpFunction(rawValue: try string())
    }
}

extension SendValue {
    static func parse(_ scanner: inout JSONScanner) throws -> SendValue {
        var topic: String?
        var value: String?
        var send = SendValue(topic: "", value: "")
        try scanner.object { scanner, key in
            if key.is("topic") {
                topic = try scanner.string()
            } else if key.is("value") {
                value = try scanner.string()
            } else if key.is("key") {
                send.key = scanner.null() ? nil : try scanner.string()
            } else if key.is("partition") {
                send.partition = scanner.null() ? nil : try scanner.int32()
            } else if key.is("offset") {
                send.offset = scanner.null() ? nil : try scanner.int64()
            } else if key.is("broker") {
                send.broker = scanner.null() ? nil : try scanner.int32()
            } else if key.is("leader_epoch") {
                send.leaderEpoch = scanner.null() ? nil : try scanner.int32()
            } else if key.is("txn") {
                send.txn = scanner.null() ? nil : try scanner.string()
            } else {
                _ = try scanner.skipValue()
            }
        }
        guard let topic else { throw scanner.failure("missing field \"topic\" in send value") }
        guard let value else { throw scanner.failure("missing field \"value\" in send value") }
        send.topic = topic
        send.value = value
        return send
    }
}

extension PollValue {
    static func parse(_ scanner: inout JSONScanner) throws -> PollValue {
        var records: [ReadRecord]?
        var hw: [PartitionHighWatermark]?
        var isolation: IsolationLevel?
        try scanner.object { scanner, key in
            if key.is("records") {
                var list: [ReadRecord] = []
                try scanner.array { scanner in list.append(try ReadRecord.parse(&scanner)) }
                records = list
            } else if key.is("hw") {
                if scanner.null() { return }
                var list: [PartitionHighWatermark] = []
                try scanner.array { scanner in list.append(try PartitionHighWatermark.parse(&scanner)) }
                hw = list
            } else if key.is("isolation") {
                if scanner.null() { return }
                let name = try scanner.string()
                guard let level = IsolationLevel(rawValue: name) else {
                    throw scanner.failure("unknown isolation \"\(name)\" (read_committed or read_uncommitted)")
                }
                isolation = level
            } else {
                _ = try scanner.skipValue()
            }
        }
        guard let records else { throw scanner.failure("missing field \"records\" in poll value") }
        return PollValue(records: records, hw: hw, isolation: isolation)
    }
}

extension PartitionHighWatermark {
    static func parse(_ scanner: inout JSONScanner) throws -> PartitionHighWatermark {
        var topic: String?
        var partition: Int32?
        var hw: Int64?
        try scanner.object { scanner, name in
            if name.is("topic") {
                topic = try scanner.string()
            } else if name.is("partition") {
                partition = try scanner.int32()
            } else if name.is("hw") {
                hw = try scanner.int64()
            } else {
                _ = try scanner.skipValue()
            }
        }
        guard let topic, let partition, let hw else { throw scanner.failure("a high watermark needs topic, partition and hw") }
        return PartitionHighWatermark(topic: topic, partition: partition, hw: hw)
    }
}

extension ReadRecord {
    static func parse(_ scanner: inout JSONScanner) throws -> ReadRecord {
        var topic: String?
        var partition: Int32?
        var offset: Int64?
        var key: String?
        var value: String?
        try scanner.object { scanner, name in
            if name.is("topic") {
                topic = try scanner.string()
            } else if name.is("partition") {
                partition = try scanner.int32()
            } else if name.is("offset") {
                offset = try scanner.int64()
            } else if name.is("key") {
                key = scanner.null() ? nil : try scanner.string()
            } else if name.is("value") {
                value = try scanner.string()
            } else {
                _ = try scanner.skipValue()
            }
        }
        guard let topic, let partition, let offset, let value else {
            throw scanner.failure("a record needs topic, partition, offset and value")
        }
        return ReadRecord(topic: topic, partition: partition, offset: offset, key: key, value: value)
    }
}

extension AssignmentValue {
    static func parse(_ scanner: inout JSONScanner) throws -> AssignmentValue {
        var assignment = AssignmentValue()
        try scanner.object { scanner, key in
            if key.is("partitions") {
                if scanner.null() { return }
                var list: [TopicPartition] = []
                try scanner.array { scanner in
                    var topic: String?
                    var partition: Int32?
                    try scanner.object { scanner, key in
                        if key.is("topic") {
                            topic = try scanner.string()
                        } else if key.is("partition") {
                            partition = try scanner.int32()
                        } else {
                            _ = try scanner.skipValue()
                        }
                    }
                    guard let topic, let partition else { throw scanner.failure("a partition needs topic and partition") }
                    list.append(TopicPartition(topic, partition))
                }
                assignment.partitions = list
            } else if key.is("topics") {
                if scanner.null() { return }
                var list: [String] = []
                try scanner.array { scanner in list.append(try scanner.string()) }
                assignment.topics = list
            } else if key.is("ends") {
                if scanner.null() { return }
                var list: [PartitionBounds] = []
                try scanner.array { scanner in list.append(try PartitionBounds.parse(&scanner)) }
                assignment.ends = list
            } else {
                _ = try scanner.skipValue()
            }
        }
        return assignment
    }
}

extension PartitionBounds {
    static func parse(_ scanner: inout JSONScanner) throws -> PartitionBounds {
        var topic: String?
        var partition: Int32?
        var start: Int64?
        var end: Int64?
        try scanner.object { scanner, key in
            if key.is("topic") {
                topic = try scanner.string()
            } else if key.is("partition") {
                partition = try scanner.int32()
            } else if key.is("start") {
                start = scanner.null() ? nil : try scanner.int64()
            } else if key.is("end") {
                end = scanner.null() ? nil : try scanner.int64()
            } else {
                _ = try scanner.skipValue()
            }
        }
        guard let topic, let partition else { throw scanner.failure("a partition's bounds need topic and partition") }
        return PartitionBounds(topic: topic, partition: partition, start: start, end: end)
    }
}
