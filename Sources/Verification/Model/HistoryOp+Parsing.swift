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
            switch key {
            case "index": index = try scanner.int()
            case "time_ns": timeNs = try scanner.int64()
            case "process": process = try scanner.string()
            case "type":
                let name = try scanner.string()
                guard let known = OpType(rawValue: name) else { throw scanner.failure("unknown type \"\(name)\"") }
                type = known
            case "f": f = OpFunction(rawValue: try scanner.string())
            case "error": error = scanner.null() ? nil : try scanner.string()
            case "op_id": opId = scanner.null() ? nil : try scanner.int64()
            case "value":
                // The value's shape depends on `f` and `type`; when they come later, read it after.
                if let f, let type {
                    value = try parseValue(&scanner, f: f, type: type)
                } else {
                    deferredValue = try scanner.skipValue()
                }
            default: _ = try scanner.skipValue()
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

extension SendValue {
    static func parse(_ scanner: inout JSONScanner) throws -> SendValue {
        var topic: String?
        var value: String?
        var send = SendValue(topic: "", value: "")
        try scanner.object { scanner, key in
            switch key {
            case "topic": topic = try scanner.string()
            case "value": value = try scanner.string()
            case "key": send.key = scanner.null() ? nil : try scanner.string()
            case "partition": send.partition = scanner.null() ? nil : try scanner.int32()
            case "offset": send.offset = scanner.null() ? nil : try scanner.int64()
            case "broker": send.broker = scanner.null() ? nil : try scanner.int32()
            case "leader_epoch": send.leaderEpoch = scanner.null() ? nil : try scanner.int32()
            default: _ = try scanner.skipValue()
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
        try scanner.object { scanner, key in
            guard key == "records" else {
                _ = try scanner.skipValue()
                return
            }
            var list: [ReadRecord] = []
            try scanner.array { scanner in list.append(try ReadRecord.parse(&scanner)) }
            records = list
        }
        guard let records else { throw scanner.failure("missing field \"records\" in poll value") }
        return PollValue(records: records)
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
            switch name {
            case "topic": topic = try scanner.string()
            case "partition": partition = try scanner.int32()
            case "offset": offset = try scanner.int64()
            case "key": key = scanner.null() ? nil : try scanner.string()
            case "value": value = try scanner.string()
            default: _ = try scanner.skipValue()
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
            switch key {
            case "partitions":
                if scanner.null() { return }
                var list: [TopicPartition] = []
                try scanner.array { scanner in
                    var topic: String?
                    var partition: Int32?
                    try scanner.object { scanner, key in
                        switch key {
                        case "topic": topic = try scanner.string()
                        case "partition": partition = try scanner.int32()
                        default: _ = try scanner.skipValue()
                        }
                    }
                    guard let topic, let partition else { throw scanner.failure("a partition needs topic and partition") }
                    list.append(TopicPartition(topic, partition))
                }
                assignment.partitions = list
            case "topics":
                if scanner.null() { return }
                var list: [String] = []
                try scanner.array { scanner in list.append(try scanner.string()) }
                assignment.topics = list
            default: _ = try scanner.skipValue()
            }
        }
        return assignment
    }
}
