import ArgumentParser
import KafkaClient
import KafkaProtocol
import Lab

extension TopicsCommand {
    struct Reassign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move a partition to new replicas, or cancel its move (AlterPartitionReassignments, as kafka-reassign-partitions --execute / --cancel).",
            discussion: """
                The controller adds the new replicas, waits until they are in sync, moves leadership if the leader \
                leaves, then removes and deletes the old ones. The command returns once the move has started: \
                `samsa topics reassignments` lists the moves in progress.
                """)
        @OptionGroup var client: ClientOptions
        @Argument(help: "The topic.") var name: String
        @Option(name: .long, help: "The partition.") var partition: Int32
        @Option(name: .long, help: "The new replicas, comma-separated broker ids, the first preferred (e.g. 2,3,1).") var replicas: String?
        @Flag(name: .long, help: "Cancel the partition's move: it goes back to its original replicas.") var cancel = false

        func validate() throws {
            if partition < 0 { throw ValidationError("--partition must be 0 or more, got \(partition)") }
            switch (replicas, cancel) {
            case (nil, false): throw ValidationError("--replicas or --cancel is required")
            case (.some, true): throw ValidationError("--replicas and --cancel exclude each other")
            case (let list?, false): do { _ = try ReplicaList.parse(list) } catch { throw ValidationError("--replicas: \(error)") }
            default: break
            }
        }

        func run() async throws {
            try await client.run("topics reassign") { cluster in
                let tp = TopicPartition(name, partition)
                let target = try replicas.map(ReplicaList.parse)
                try await KafkaAdmin(cluster: cluster).reassignPartition(tp, replicas: target)
                if let target {
                    print("Started the reassignment of \(name)/\(partition) to replicas \(target.map(String.init).joined(separator: ",")).")
                } else {
                    print("Cancelled the reassignment of \(name)/\(partition).")
                }
            }
        }
    }

    struct Reassignments: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The partition moves in progress (ListPartitionReassignments, as kafka-reassign-partitions --list).",
            discussion: "Columns: REPLICAS (the full set while moving), ADDING and REMOVING, as kafka-reassign-partitions --list prints them.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "Only this topic.") var name: String?
        @Option(name: .long, help: "Only this partition (needs a topic).") var partition: Int32?
        @Flag(name: .long, help: "JSON for scripts.") var json = false

        func validate() throws {
            if partition != nil && name == nil { throw ValidationError("--partition needs a topic") }
        }

        func run() async throws {
            try await client.run("topics reassignments") { cluster in
                var moves = try await KafkaAdmin(cluster: cluster).partitionReassignments(nil)
                moves = moves.filter { move in name.map { move.topic == $0 } ?? true && partition.map { move.partition == $0 } ?? true }
                if json {
                    try printJSON(["reassignments": moves])
                } else {
                    print(TextTable.reassignments(moves).render())
                }
            }
        }
    }
}
