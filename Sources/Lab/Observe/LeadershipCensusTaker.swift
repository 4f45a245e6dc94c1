import Foundation
import KafkaClient
import KafkaProtocol
import NIOCore
import NIOPosix
import Verification

/// Asks every broker directly, on its internal port (around the proxies), whether it leads each
/// partition: one ListOffsets(latest) per broker for all partitions with current leader epoch -1,
/// so that each broker answers from its own belief rather than being fenced by ours. A leader
/// answers with its high watermark and (v4+) its leader epoch; any other broker with an error.
public enum LeadershipCensusTaker {
    /// One broker to ask.
    public struct Target: Sendable {
        public var broker: Int32
        public var host: String
        public var port: Int
        /// A broker the lab knows is not running (stopped, crashed, paused) serves nobody: it is
        /// recorded as such, not asked.
        public var notRunning: String?

        public init(broker: Int32, host: String = "127.0.0.1", port: Int, notRunning: String? = nil) {
            self.broker = broker
            self.host = host
            self.port = port
            self.notRunning = notRunning
        }
    }

    /// Every target's answer for every partition, asked concurrently; each broker's connection and
    /// request are bounded by `timeoutMs`.
    public static func take(targets: [Target], partitions: [TopicPartition], group: EventLoopGroup,
                            timeoutMs: Int64 = 2000) async -> [PartitionCensus] {
        let answers = await withTaskGroup(of: (Int32, [TopicPartition: CensusAnswer]).self) { tasks in
            for target in targets {
                tasks.addTask { (target.broker, await ask(target, partitions: partitions, group: group, timeoutMs: timeoutMs)) }
            }
            var all: [Int32: [TopicPartition: CensusAnswer]] = [:]
            for await (broker, answers) in tasks { all[broker] = answers }
            return all
        }
        return partitions.sorted().map { tp in
            PartitionCensus(topic: tp.topic, partition: tp.partition, answers: targets.map(\.broker).sorted().map { broker in
                answers[broker]?[tp] ?? CensusAnswer(broker: broker, status: .noAnswer, error: "no answer recorded")
            })
        }
    }

    /// The same on a group of its own, for callers without one (the shell).
    public static func take(targets: [Target], partitions: [TopicPartition], timeoutMs: Int64 = 2000) async -> [PartitionCensus] {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let answers = await take(targets: targets, partitions: partitions, group: group, timeoutMs: timeoutMs)
        try? await group.shutdownGracefully()
        return answers
    }

    /// The brokers of a lab's status, as census targets on their internal ports.
    public static func targets(_ status: LabStatus) -> [Target] {
        status.processes.compactMap { process in
            guard let id = BrokerName.id(process.name) else { return nil }
            let serving = process.state == "running" || process.state == "stopping"
            guard let port = process.internalPort, serving else {
                return Target(broker: id, port: process.internalPort ?? 0, notRunning: "the broker is \(process.state)")
            }
            return Target(broker: id, port: port)
        }
    }

    static func ask(_ target: Target, partitions: [TopicPartition], group: EventLoopGroup,
                    timeoutMs: Int64) async -> [TopicPartition: CensusAnswer] {
        func all(_ status: CensusAnswer.Status, _ error: String) -> [TopicPartition: CensusAnswer] {
            Dictionary(uniqueKeysWithValues: partitions.map { ($0, CensusAnswer(broker: target.broker, status: status, error: error)) })
        }
        if let why = target.notRunning { return all(.notRunning, why) }
        let connection: KafkaConnection
        do {
            connection = try await KafkaConnection.connect(host: target.host, port: target.port, group: group, clientId: "samsa-census",
                                                           connectTimeoutMs: timeoutMs, requestTimeoutMs: timeoutMs)
        } catch {
            return all(.noAnswer, "\(error)")
        }
        defer { connection.close() }
        let byTopic = Dictionary(grouping: partitions, by: \.topic)
        let request = ListOffsetsRequest(topics: byTopic.keys.sorted().map { topic in
            ListOffsetsRequest.Topic(name: topic, partitions: byTopic[topic]!.map {
                ListOffsetsRequest.Partition(partitionIndex: $0.partition, currentLeaderEpoch: -1, timestamp: -1)
            })
        })
        let response: ListOffsetsResponse
        let version: Int16
        do {
            version = try connection.version(for: .listOffsets)
            response = try await connection.send(request, version: version, timeoutMs: timeoutMs)
        } catch {
            return all(.noAnswer, "\(error)")
        }
        var answers = all(.noAnswer, "the partition was missing from the answer")
        for topic in response.topics {
            for partition in topic.partitions {
                let tp = TopicPartition(topic.name, partition.partitionIndex)
                guard answers[tp] != nil else { continue }
                if partition.errorCode == 0 {
                    answers[tp] = CensusAnswer(broker: target.broker, status: .leader,
                                               leaderEpoch: version >= 4 && partition.leaderEpoch >= 0 ? partition.leaderEpoch : nil,
                                               hw: partition.offset)
                } else {
                    answers[tp] = CensusAnswer(broker: target.broker, status: .notLeader,
                                               error: ErrorCode(rawValue: partition.errorCode)?.name ?? "error \(partition.errorCode)")
                }
            }
        }
        return answers
    }

    /// Why the census should be taken again: two brokers claim a partition, a claim is older than
    /// the epoch the metadata names, or a running broker did not answer. Nil when it is settled.
    public static func unsettled(_ census: [PartitionCensus], metadataEpochs: [TopicPartition: Int32]) -> String? {
        for p in census {
            let tp = TopicPartition(p.topic, p.partition)
            if p.leaders.count > 1 { return "\(tp) has \(p.leaders.count) brokers answering as leader" }
            if let leader = p.leaders.first, let epoch = metadataEpochs[tp], (leader.leaderEpoch ?? -1) < epoch {
                return "\(tp): broker \(leader.broker) answers in epoch \(leader.leaderEpoch ?? -1), the metadata names \(epoch)"
            }
            if let silent = p.answers.first(where: { $0.status == .noAnswer }) { return "\(tp): broker \(silent.broker) did not answer" }
        }
        return nil
    }
}
