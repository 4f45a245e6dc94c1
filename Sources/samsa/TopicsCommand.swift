import ArgumentParser
import Foundation
import KafkaClient
import KafkaProtocol
import Lab

struct TopicsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topics",
        abstract: "List, describe, create, alter and delete topics (as kafka-topics), delete their oldest records, elect leaders and move partitions.",
        subcommands: [List.self, Describe.self, Create.self, Alter.self, DeleteRecords.self, ElectLeaders.self, Reassign.self, Reassignments.self, Delete.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print topic names.")
        @OptionGroup var client: ClientOptions
        @Flag(name: .long, help: "Include internal topics (__consumer_offsets).") var includeInternal = false

        func run() async throws {
            try await client.run("topics list") { cluster in
                let metadata = try await cluster.refreshMetadata(topics: nil)
                for name in metadata.topics.keys.sorted() where includeInternal || !(metadata.topics[name]!.isInternal) { print(name) }
            }
        }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Partitions with leader, leader epoch, replicas, ISR and high watermark.",
            discussion: "Columns as kafka-topics --describe (Topic, Partition, Leader, Replicas, Isr) plus EPOCH and HW.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Only this topic (the same as --topic).") var name: String?
        @Option(name: .customLong("topic"), help: "Only this topic.") var topicFlag: String?
        @Flag(name: .long, help: "Only partitions whose ISR is smaller than the replica set.") var underReplicated = false
        @Flag(name: .long, help: "Only partitions whose ISR is smaller than min.insync.replicas.") var underMinIsr = false
        @Flag(name: .long, help: "Only partitions without a leader.") var unavailable = false
        @Flag(name: .long, help: "JSON for scripts.") var json = false

        var topic: String? { name ?? topicFlag }

        func validate() throws {
            if let name, let topicFlag, name != topicFlag {
                throw ValidationError("two topics given: '\(name)' and --topic '\(topicFlag)'")
            }
        }

        func run() async throws {
            try await client.run("topics describe") { cluster in
                let admin = KafkaAdmin(cluster: cluster)
                var partitions = try await admin.describeTopics(topic.map { [$0] })
                if let topic, partitions.allSatisfy({ $0.error == ErrorCode.unknownTopicOrPartition.name }) {
                    throw KafkaClientError.unknownTopic(topic)
                }
                if underMinIsr {
                    let minIsr = try await admin.minInsyncReplicas(Set(partitions.map(\.topic)))
                    partitions = partitions.filter { $0.isr.count < (minIsr[$0.topic] ?? 1) }
                }
                if underReplicated { partitions = partitions.filter { $0.isr.count < $0.replicas.count } }
                if unavailable { partitions = partitions.filter { $0.leader < 0 } }
                if json {
                    try printJSON(["partitions": partitions])
                    return
                }
                print(TextTable.partitions(partitions, marksUnderReplicated: false).render())
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a topic.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Topic name.") var name: String
        @Option(name: .long, help: "Number of partitions.") var partitions: Int32 = 1
        @Option(name: .long, help: "Replication factor.") var replicationFactor: Int16 = 1
        @Option(name: .long, help: "Topic config key=value (e.g. min.insync.replicas=2). Repeatable.") var config: [String] = []

        func validate() throws {
            if let problem = TopicPartition.validateTopicName(name) { throw ValidationError(problem) }
            guard partitions > 0 else { throw ValidationError("--partitions must be positive") }
            guard replicationFactor > 0 else { throw ValidationError("--replication-factor must be positive") }
            for item in config where !item.contains("=") { throw ValidationError("--config '\(item)' is not key=value") }
        }

        func run() async throws {
            let configs = Dictionary(config.map { item -> (String, String) in
                let parts = item.split(separator: "=", maxSplits: 1)
                return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
            }, uniquingKeysWith: { _, b in b })
            try await client.run("topics create") { cluster in
                try await KafkaAdmin(cluster: cluster).createTopic(name, partitions: partitions, replicationFactor: replicationFactor, configs: configs)
                print("Created topic \(name).")
            }
        }
    }

    struct Alter: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add partitions to a topic (as kafka-topics --alter --partitions).",
            discussion: "--partitions is the new total, which must be above the current count; partitions are never removed.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Topic name.") var name: String
        @Option(name: .long, help: "The new total number of partitions.") var partitions: Int32
        @Option(name: .long, help: "Replicas of each new partition, as kafka-topics: 1:2,2:3 (a comma between partitions, a colon between brokers).")
        var replicaAssignment: String?
        @Flag(name: .long, help: "Let the broker check the change without making it.") var validateOnly = false

        func validate() throws {
            guard partitions > 0 else { throw ValidationError("--partitions must be positive") }
            _ = try assignments()
        }

        func assignments() throws -> [[Int32]]? {
            guard let replicaAssignment else { return nil }
            return try replicaAssignment.split(separator: ",", omittingEmptySubsequences: false).map { partition in
                try partition.split(separator: ":", omittingEmptySubsequences: false).map { broker in
                    guard let id = Int32(broker.trimmingCharacters(in: .whitespaces)), id >= 0 else {
                        throw ValidationError("--replica-assignment '\(replicaAssignment)': '\(broker)' is not a broker id")
                    }
                    return id
                }
            }
        }

        func run() async throws {
            let assignments = try assignments()
            try await client.run("topics alter") { cluster in
                try await KafkaAdmin(cluster: cluster).createPartitions(name, count: partitions, assignments: assignments, validateOnly: validateOnly)
                print(validateOnly ? "Topic \(name) can have \(partitions) partitions." : "Topic \(name) now has \(partitions) partitions.")
            }
        }
    }

    struct DeleteRecords: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "delete-records",
            abstract: "Delete a partition's records below an offset (as kafka-delete-records).",
            discussion: "The partition's log start offset moves up to --offset (-1: the high watermark); consumers then start there.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Topic name.") var name: String
        @Option(name: .long, help: "The partition.") var partition: Int32
        @Option(name: .long, help: "Records below this offset go; -1 means the high watermark.") var offset: Int64

        func validate() throws {
            guard partition >= 0 else { throw ValidationError("--partition must not be negative") }
            guard offset >= -1 else { throw ValidationError("--offset must be an offset, or -1 for the high watermark") }
        }

        func run() async throws {
            try await client.run("topics delete-records") { cluster in
                let low = try await KafkaAdmin(cluster: cluster).deleteRecords(TopicPartition(name, partition), before: offset)
                print("Partition \(name)/\(partition) now starts at offset \(low) (low watermark).")
            }
        }
    }

    struct ElectLeaders: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "elect-leaders",
            abstract: "Elect partition leaders (ElectLeaders, as kafka-leader-election): preferred replicas back, or unclean elections.",
            discussion: """
                Without a topic, every partition. --election-type preferred (the default) moves leadership back to each \
                partition's first replica where it is alive and in sync; unclean gives each partition without a live leader \
                a live in-sync replica, else any live replica (acknowledged records may be lost). Prints each partition's \
                answer: NONE when it got its leader, ELECTION_NOT_NEEDED when there was nothing to do, \
                PREFERRED_LEADER_NOT_AVAILABLE or ELIGIBLE_LEADERS_NOT_AVAILABLE when no replica could take it.
                """)
        @OptionGroup var client: ClientOptions
        @Argument(help: "Only this topic.") var name: String?
        @Option(name: .long, help: "Only this partition (needs a topic).") var partition: Int32?
        @Option(name: .customLong("election-type"), help: "preferred or unclean (default preferred).") var electionType = "preferred"

        func validate() throws {
            if partition != nil && name == nil { throw ValidationError("--partition needs a topic") }
            if ElectionType(name: electionType) == nil {
                throw ValidationError("--election-type must be preferred or unclean, got '\(electionType)'")
            }
        }

        func run() async throws {
            try await client.run("topics elect-leaders") { cluster in
                let admin = KafkaAdmin(cluster: cluster)
                var wanted: [TopicPartition]?
                if let name {
                    if let partition {
                        wanted = [TopicPartition(name, partition)]
                    } else {
                        let metadata = try await cluster.refreshMetadata(topics: [name])
                        guard let topic = metadata.topics[name], topic.errorCode == .none else { throw KafkaClientError.unknownTopic(name) }
                        wanted = topic.partitions.map(\.topicPartition)
                    }
                }
                let results = try await admin.electLeaders(wanted, type: ElectionType(name: electionType) ?? .preferred)
                print(TextTable.electionResults(results).render())
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a topic.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Topic name.") var name: String

        func run() async throws {
            try await client.run("topics delete") { cluster in
                try await KafkaAdmin(cluster: cluster).deleteTopic(name)
                print("Deleted topic \(name).")
            }
        }
    }
}
