import Foundation
import KafkaClient
import KafkaProtocol
import Lab
import Verification

extension ShellSession {
    // MARK: Topics

    func topicsList() async throws {
        let lab = try requireLab()
        let metadata = try await lab.client.refreshMetadata(topics: nil)
        let names = metadata.topics.keys.sorted().filter { !metadata.topics[$0]!.isInternal }
        say(names.isEmpty ? "no topics" : names.joined(separator: "\n"))
    }

    func topicsCreate(_ name: String, partitions: Int, replicationFactor: Int, config: [ShellCommand.Property]) async throws {
        let lab = try requireLab()
        let rf = replicationFactor > 0 ? replicationFactor : min(3, lab.brokers.count)
        guard rf <= lab.brokers.count else {
            throw Failure("replication factor \(rf) is larger than the \(lab.brokers.count) broker(s)", hint: "--replication-factor 1..\(lab.brokers.count)")
        }
        let configs = Dictionary(config.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
        try await KafkaAdmin(cluster: lab.client).createTopic(name, partitions: Int32(partitions), replicationFactor: Int16(rf), configs: configs)
        // The topic is usable once every partition has a leader.
        let deadline = Date(timeIntervalSinceNow: 15)
        while Date() < deadline && !Interrupts.pending {
            let described = (try? await KafkaAdmin(cluster: lab.client).describeTopics([name])) ?? []
            if described.count == partitions && described.allSatisfy({ $0.leader >= 0 }) { break }
            _ = Interrupts.sleep(ms: 100)
        }
        say("created topic \(name): \(partitions) partition(s), replication factor \(rf)")
    }

    func topicsDescribe(_ name: String?) async throws {
        let lab = try requireLab()
        let partitions = try await KafkaAdmin(cluster: lab.client).describeTopics(name.map { [$0] })
        if let name, partitions.allSatisfy({ $0.error == ErrorCode.unknownTopicOrPartition.name }) {
            throw Failure("unknown topic '\(name)'", hint: "topics list shows the topics")
        }
        say(Self.partitionTable(partitions, colour: options.colour))
    }

    /// `watch`'s time stamp: 24-hour local time, whatever the locale.
    static let clock: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "HH:mm:ss"
        return formatter
    }()

    /// Leader, epoch, replicas, ISR (marked when it is smaller than the replica set) and HW.
    static func partitionTable(_ partitions: [KafkaAdmin.PartitionDescription], colour: Bool) -> String {
        TextTable.partitions(partitions, marksUnderReplicated: true).render()
    }

    func topicsDelete(_ name: String) async throws {
        let lab = try requireLab()
        try await KafkaAdmin(cluster: lab.client).deleteTopic(name)
        say("deleted topic \(name)")
    }

    // MARK: Produce and consume, through the lab's workload processes (real confluent-kafka)

    func produce(_ request: ShellCommand.Produce) async throws {
        let lab = try requireLab()
        // The producer process would have the broker auto-create a mistyped topic; the shell does not.
        let metadata = try await lab.client.refreshMetadata(topics: [request.topic])
        guard let info = metadata.topics[request.topic], !info.partitions.isEmpty else {
            throw Failure("unknown topic '\(request.topic)'", hint: "topics create \(request.topic) makes it; topics list shows the topics")
        }
        producers += 1
        let name = "shell-producer-\(producers)"
        var spec = ProducerSpec(topic: request.topic)
        spec.acks = request.acks
        producerAcks[name] = request.acks
        spec.idempotence = request.idempotence
        spec.rate = request.rate
        spec.keys = request.keys
        spec.partition = request.partition
        spec.compression = request.compression
        spec.transactional = request.transactional
        spec.txnRecords = request.txnRecords
        spec.abortRate = request.abortRate
        if let count = request.count {
            spec.count = count
        } else {
            let values = readTypedValues()
            guard !values.isEmpty else { throw Failure("nothing typed; nothing produced") }
            let file = lab.workloads.directory + "/histories/\(name).values"
            try (values.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
            spec.valuesFile = file
            spec.count = values.count
        }
        let expected = spec.count
        let started = Date()
        let pid = try lab.workloads.startProducer(name, spec, durationSeconds: 3600)
        let history = lab.workloads.directory + "/histories/\(name).jsonl"
        var interrupted = false
        while lab.workloads.reap(pid) == nil {
            if Interrupts.pending && !interrupted {
                interrupted = true
                kill(pid, SIGTERM)
            }
            _ = Interrupts.sleep(ms: 200)
            if options.interactive && !interrupted, let tally = SendTally(path: history) {
                StandardStreams.writeError("\r  \(tally.acknowledged)/\(expected) acknowledged")
            }
        }
        if options.interactive { StandardStreams.writeError("\r\u{1B}[K") }
        let tally = SendTally(path: history) ?? SendTally()
        let seconds = Date().timeIntervalSince(started)
        if request.transactional {
            try reportTransactions(topic: request.topic, history: history, tally: tally, seconds: seconds, interrupted: interrupted)
            return
        }
        var line = "\(interrupted ? "interrupted: " : "")produced to \(request.topic): \(tally.acknowledged) acknowledged"
        line += ", \(tally.failed) failed, \(tally.indeterminate) indeterminate of \(tally.attempted) sent (acks=\(request.acks))"
        line += String(format: " in %.1f s", seconds)
        say(line)
        if let error = tally.firstError { say("  first error: \(error)") }
        if interrupted { throw Failure("produce interrupted", hint: "what was sent is recorded for `check`") }
        if tally.acknowledged < tally.attempted && request.acks != "0" {
            throw Failure("\(tally.attempted - tally.acknowledged) of \(tally.attempted) record(s) not acknowledged", hint: tally.firstError)
        }
    }

    /// A transactional producer's sends by what became of their transaction, as its client reported
    /// it (a transactional record is visible only if its transaction commits). Fails the command when
    /// a send failed or a transaction's end is unknown; deliberate aborts are not failures.
    func reportTransactions(topic: String, history: String, tally: SendTally, seconds: Double, interrupted: Bool) throws {
        let transactions = TransactionLog(History.load(path: history)).transactions
        func figure(_ outcome: Transaction.Outcome) -> (transactions: Int, records: Int) {
            let ended = transactions.filter { $0.outcome == outcome }
            return (ended.count, ended.reduce(0) { $0 + $1.writes.count })
        }
        let (committed, aborted, unknown) = (figure(.committed), figure(.aborted), figure(.unknown))
        var line = "\(interrupted ? "interrupted: " : "")produced to \(topic): \(tally.attempted) sent in \(transactions.count) transaction(s): "
        line += "\(committed.transactions) committed (\(committed.records) records), \(aborted.transactions) aborted on purpose (\(aborted.records) records), "
        line += "\(unknown.transactions) unknown (\(unknown.records) records); \(tally.failed) send(s) failed"
        line += String(format: " in %.1f s", seconds)
        say(line)
        if tally.failed > 0, let error = tally.firstError { say("  first error: \(error)") }
        if interrupted { throw Failure("produce interrupted", hint: "what was sent is recorded for `check`") }
        if tally.failed > 0 || unknown.transactions > 0 || transactions.isEmpty {
            throw Failure("\(unknown.transactions) transaction(s) with an unknown end, \(tally.failed) failed send(s)",
                          hint: "the producer's log: \(history.replacingOccurrences(of: ".jsonl", with: ".log"))")
        }
    }

    /// Lines typed after `produce TOPIC`, up to a lone `.` or end of input.
    func readTypedValues() -> [String] {
        if options.interactive { say("type one record per line; a line with only '.' ends (Ctrl-C cancels)") }
        let source: LineSource = typedLineSource ?? StreamLineSource()
        var values: [String] = []
        while let line = source.next(prompt: options.interactive ? "> " : "") {
            if Interrupts.pending { return [] }
            if line == "." { break }
            values.append(line)
        }
        return values
    }

    func consume(_ request: ShellCommand.Consume) async throws {
        let lab = try requireLab()
        let metadata = try await lab.client.refreshMetadata(topics: [request.topic])
        guard let info = metadata.topics[request.topic], !info.partitions.isEmpty else {
            throw Failure("unknown topic '\(request.topic)'", hint: "topics list shows the topics")
        }
        consumers += 1
        let name = "shell-consumer-\(consumers)"
        var spec = ConsumerSpec(topic: request.topic, group: request.group)
        if request.group == nil { spec.assign = info.partitions.map(\.topicPartition.partition).sorted() }
        spec.count = request.count ?? 0
        spec.isolation = request.isolation
        let timeout = request.timeoutSeconds ?? 3600
        let pid = try lab.workloads.startConsumer(name, spec, durationSeconds: timeout)
        let history = lab.workloads.directory + "/histories/\(name).jsonl"
        if options.interactive { say("consuming \(request.topic) from the beginning; Ctrl-C stops") }
        var reader = HistoryTail(path: history)
        var printed = 0
        var stopped = false
        while lab.workloads.reap(pid) == nil {
            for record in reader.newRecords() {
                say("\(request.topic)/\(record.partition)@\(record.offset)  \(record.value)")
                printed += 1
                if let count = request.count, printed >= count { break }
            }
            // With --count the process stops by itself after that many records; only Ctrl-C stops it
            // from here (a SIGTERM racing its exit could land after Python restored the default handler).
            if !stopped && Interrupts.pending {
                stopped = true
                kill(pid, SIGTERM)
            }
            _ = Interrupts.sleep(ms: 100)
        }
        if !stopped {
            for record in reader.newRecords() where request.count.map({ printed < $0 }) ?? true {
                say("\(request.topic)/\(record.partition)@\(record.offset)  \(record.value)")
                printed += 1
            }
        }
        say("consumed \(printed) record(s) from \(request.topic)\(request.group.map { " as group \($0)" } ?? "")")
    }

    // MARK: Groups

    func groupsList() async throws {
        let lab = try requireLab()
        let groups = try await KafkaAdmin(cluster: lab.client).listGroups()
        var table = TextTable(["GROUP", "PROTOCOL", "COORDINATOR"])
        for g in groups.sorted(by: { $0.group < $1.group }) { table.add([g.group, g.protocolType, String(g.coordinator)]) }
        say(groups.isEmpty ? "no groups" : table.render())
    }

    func groupsDescribe(_ group: String?) async throws {
        let lab = try requireLab()
        say(try await lagTable(lab, group: group))
    }

    // MARK: Transactions

    /// kafka-transactions list's columns; brokers that did not answer are named after the table.
    func transactionsList() async throws {
        let lab = try requireLab()
        let listed = try await KafkaAdmin(cluster: lab.client).listTransactions()
        say(listed.transactions.isEmpty ? "no transactional ids" : TransactionTables.list(listed.transactions).render())
        for failure in listed.failedBrokers { say("broker \(failure.broker) did not answer: \(failure.error)") }
    }

    func transactionsDescribe(_ transactionalId: String) async throws {
        let lab = try requireLab()
        let description = try await KafkaAdmin(cluster: lab.client).describeTransaction(transactionalId)
        say(TransactionTables.describe(description, nowMs: Int64(Date().timeIntervalSince1970 * 1000)).render())
    }

    /// kafka-consumer-groups' columns, as `samsa groups describe` prints them.
    func lagTable(_ lab: Lab, group: String?) async throws -> String {
        let admin = KafkaAdmin(cluster: lab.client)
        var names: [String]
        if let group { names = [group] } else { names = try await admin.listGroups().map(\.group).sorted() }
        var descriptions: [KafkaAdmin.GroupDescription] = []
        for name in names { descriptions.append(try await admin.describeGroup(name)) }
        if let group, let d = descriptions.first, GroupTables.isUnknown(d) {
            throw Failure(GroupTables.unknownMessage(group), hint: "groups list shows the groups")
        }
        return names.isEmpty ? "no groups" : GroupTables.offsets(descriptions).render()
    }
}

/// Counts a producer workload's sends from its history file.
struct SendTally {
    var attempted = 0
    var acknowledged = 0
    var failed = 0
    var indeterminate = 0
    var firstError: String?

    init() {}

    init?(path: String) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.contains("\"f\": \"send\"") || line.contains("\"f\":\"send\"") {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                  let type = object["type"] as? String else { continue }
            switch type {
            case "invoke": attempted += 1
            case "ok": acknowledged += 1
            case "fail": failed += 1
            case "info": indeterminate += 1
            default: break
            }
            if type != "ok" && type != "invoke", firstError == nil { firstError = object["error"] as? String }
        }
    }
}

/// Reads a consumer workload's history as it grows: the records of each completed poll.
struct HistoryTail {
    struct Record {
        var partition: Int
        var offset: Int
        var value: String
    }

    let path: String
    var consumed = 0

    init(path: String) { self.path = path }

    mutating func newRecords() -> [Record] {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        try? handle.seek(toOffset: UInt64(consumed))
        let data = (try? handle.readToEnd()) ?? Data()
        guard let lastNewline = data.lastIndex(of: 0x0A) else { return [] }
        let complete = data[data.startIndex...lastNewline]
        consumed += complete.count
        var records: [Record] = []
        for line in complete.split(separator: 0x0A) {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any],
                  object["type"] as? String == "ok", object["f"] as? String == "poll",
                  let value = object["value"] as? [String: Any], let polled = value["records"] as? [[String: Any]] else { continue }
            for r in polled {
                records.append(Record(partition: (r["partition"] as? Int) ?? -1, offset: (r["offset"] as? Int) ?? -1,
                                      value: (r["value"] as? String) ?? ""))
            }
        }
        return records
    }
}
