import ArgumentParser
import Foundation
import KafkaClient
import Lab

struct TransactionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transactions",
        abstract: "List and describe transactional ids at their coordinators (as kafka-transactions).",
        subcommands: [List.self, Describe.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every transactional id of every broker's coordinator: TransactionalId Coordinator ProducerId TransactionState.",
            discussion: """
            Asks every broker of the metadata (ListTransactions). A broker that cannot answer is named \
            on stderr and the exit code is 1; the ids of the others are still printed.
            """)
        @OptionGroup var client: ClientOptions
        @Option(name: .long, help: "Only ids in this state (Kafka's name, e.g. Ongoing); repeatable.") var state: [String] = []
        @Option(name: .long, help: "Only transactions open for longer than this many milliseconds.") var durationFilter: Int64?
        @Flag(name: .long, help: "JSON for scripts.") var json = false

        func validate() throws {
            if let durationFilter, durationFilter < 0 { throw ValidationError("--duration-filter must be 0 or more milliseconds") }
        }

        func run() async throws {
            try await client.run("transactions list") { cluster in
                let listed = try await KafkaAdmin(cluster: cluster).listTransactions(stateFilters: state, durationFilterMs: durationFilter ?? -1)
                if !listed.unknownStateFilters.isEmpty {
                    StandardStreams.writeError("samsa transactions list: unknown --state \(listed.unknownStateFilters.joined(separator: ", ")); "
                                               + "the states are Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort, "
                                               + "Dead, PrepareEpochFence\n")
                    throw ExitCode(1)
                }
                if json {
                    try printJSON(listed)
                } else {
                    print(TransactionTables.list(listed.transactions).render())
                }
                for failure in listed.failedBrokers {
                    StandardStreams.writeError("samsa transactions list: broker \(failure.broker): \(failure.error)\n")
                }
                if !listed.failedBrokers.isEmpty { throw ExitCode(1) }
            }
        }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One transactional id at its coordinator (found with FindCoordinator).",
            discussion: """
            Columns: CoordinatorId TransactionalId ProducerId ProducerEpoch TransactionState \
            TransactionTimeoutMs CurrentTransactionStartTimeMs TransactionDurationMs TopicPartitions. \
            With no open transaction the start time and duration are None.
            """)
        @OptionGroup var client: ClientOptions
        @Option(name: .long, help: "The transactional id.") var transactionalId: String
        @Flag(name: .long, help: "JSON for scripts.") var json = false

        func validate() throws {
            guard !transactionalId.isEmpty else { throw ValidationError("--transactional-id must not be empty") }
        }

        func run() async throws {
            try await client.run("transactions describe") { cluster in
                let description = try await KafkaAdmin(cluster: cluster).describeTransaction(transactionalId)
                if json {
                    try printJSON(description)
                } else {
                    let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
                    print(TransactionTables.describe(description, nowMs: nowMs).render())
                }
            }
        }
    }
}
