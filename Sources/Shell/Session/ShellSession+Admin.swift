import KafkaClient
import KafkaProtocol
import Lab

extension ShellSession {
    // MARK: Admin APIs, as the CLI's `topics alter`, `topics delete-records`, `configs` and `cluster describe`

    func topicsAlter(_ name: String, partitions: Int) async throws {
        let lab = try requireLab()
        try await KafkaAdmin(cluster: lab.client).createPartitions(name, count: Int32(partitions))
        say("topic \(name) now has \(partitions) partitions")
    }

    func topicsDeleteRecords(_ name: String, partition: Int32, offset: Int64) async throws {
        let lab = try requireLab()
        let low = try await KafkaAdmin(cluster: lab.client).deleteRecords(TopicPartition(name, partition), before: offset)
        say("partition \(name)/\(partition) now starts at offset \(low) (low watermark)")
    }

    func configsDescribe(_ topic: String) async throws {
        let lab = try requireLab()
        let entries = try await KafkaAdmin(cluster: lab.client).describeTopicConfigs(topic)
        var table = TextTable(["NAME", "VALUE", "SOURCE"])
        for entry in entries { table.add([entry.name, entry.value ?? "-", entry.source]) }
        say(table.render())
    }

    func configsAlter(_ topic: String, set: [ShellCommand.Property], delete: [String]) async throws {
        let lab = try requireLab()
        let values = Dictionary(set.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
        try await KafkaAdmin(cluster: lab.client).alterTopicConfigs(topic, set: values, delete: delete)
        let changed = values.keys.sorted().map { "\($0)=\(values[$0]!)" } + delete.map { "-\($0)" }
        say("altered configs of topic \(topic): \(changed.joined(separator: " "))")
    }

    func clusterDescribe() async throws {
        let lab = try requireLab()
        let description = try await KafkaAdmin(cluster: lab.client).describeCluster()
        var table = TextTable(["ID", "HOST", "PORT", "RACK"])
        for broker in description.brokers {
            table.add([String(broker.id) + (broker.id == description.controllerId ? "*" : ""), broker.host, String(broker.port), broker.rack ?? "-"])
        }
        say("cluster id \(description.clusterId), controller \(description.controllerId)\n" + table.render())
    }

    func clusterLogDirs(_ topic: String?) async throws {
        let lab = try requireLab()
        let replicas = try await KafkaAdmin(cluster: lab.client).describeLogDirs(topics: topic.map { [$0] })
        say(TextTable.logDirs(replicas).render())
    }

    func topicsElectLeaders(_ topic: String?, partition: Int32?, type: ElectionType) async throws {
        let lab = try requireLab()
        var wanted: [TopicPartition]?
        if let topic {
            if let partition {
                wanted = [TopicPartition(topic, partition)]
            } else {
                let metadata = try await lab.client.refreshMetadata(topics: [topic])
                guard let info = metadata.topics[topic], info.errorCode == .none else {
                    throw Failure("unknown topic '\(topic)'", hint: "topics list shows the topics")
                }
                wanted = info.partitions.map(\.topicPartition)
            }
        }
        let results = try await KafkaAdmin(cluster: lab.client).electLeaders(wanted, type: type)
        say(TextTable.electionResults(results).render())
    }

    func topicsReassign(_ topic: String, partition: Int32, replicas: [Int32]?) async throws {
        let lab = try requireLab()
        try await KafkaAdmin(cluster: lab.client).reassignPartition(TopicPartition(topic, partition), replicas: replicas)
        if let replicas {
            say("reassignment of \(topic)/\(partition) to replicas \(replicas.map(String.init).joined(separator: ",")) started")
        } else {
            say("reassignment of \(topic)/\(partition) cancelled")
        }
    }

    func topicsReassignments(_ topic: String?) async throws {
        let lab = try requireLab()
        let moves = try await KafkaAdmin(cluster: lab.client).partitionReassignments(nil).filter { move in topic.map { move.topic == $0 } ?? true }
        say(TextTable.reassignments(moves).render())
    }
}
